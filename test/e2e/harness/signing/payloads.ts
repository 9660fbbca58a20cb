// What cosign signs for a container image, in its two formats.

export const simpleSigningMediaType = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const inTotoPayloadType = 'application/vnd.in-toto+json';
export const cosignSignPredicateType = 'https://sigstore.dev/cosign/sign/v1';

/**
 * The legacy format's payload: a "simple signing" document (containers/image signature format)
 * naming the image by repository (`docker-reference`) and manifest digest, with the same key order
 * as cosign's Go encoder. `optional` holds `cosign sign -a key=value` annotations.
 */
export function simpleSigningPayload(
  dockerReference: string,
  manifestDigest: string,
  optional: Record<string, string> | null = null,
): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': dockerReference },
        image: { 'docker-manifest-digest': manifestDigest },
        type: 'cosign container image signature',
      },
      // Go's encoder writes map keys sorted.
      optional: optional && Object.fromEntries(Object.entries(optional).sort(([a], [b]) => (a < b ? -1 : 1))),
    }),
  );
}

/**
 * The bundle format's payload (cosign v3 `sign`): an in-toto Statement v1 whose only subject is the
 * manifest digest, with predicate type https://sigstore.dev/cosign/sign/v1 and an empty predicate.
 * `annotations` are the subject's (cosign's `-a key=value`; cosign writes `{}` when there are none).
 */
export function cosignSignStatement(manifestDigest: string, annotations?: Record<string, string>): Buffer {
  const [algorithm, hex] = manifestDigest.split(':');
  if (!algorithm || !hex) throw new Error(`not a digest: ${manifestDigest}`);
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ digest: { [algorithm]: hex }, annotations: annotations ?? {} }],
      predicateType: cosignSignPredicateType,
      predicate: {},
    }),
  );
}
