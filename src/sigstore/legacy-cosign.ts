// Legacy cosign signatures: the `sha256-<digest>.sig` image, one signature per manifest layer. The
// layer blob is a simple-signing payload naming the image digest; the annotations carry the
// signature, the Fulcio certificate and the Rekor "bundle" (signed entry timestamp + entry).
//
// Keyless layers are re-expressed as the equivalent Sigstore bundle v0.1 (the only version that
// accepts a signed entry timestamp without an inclusion proof) and verified like any bundle, with
// the payload bytes as the signed message. Key-signed layers (no certificate) are one signature
// check over the payload with the keys we hold (pins); when they carry a Rekor bundle annotation,
// the same v0.1 bundle with `publicKey` verification material is verified too, which lets the key
// that entry records stand in when no pinned key made the signature (logged-key.ts). Either way we
// check what the verifier cannot know about: the blob matches its descriptor, and the payload names
// the image digest being judged.
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { BUNDLE_V01_MEDIA_TYPE } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { z } from 'zod';
import { digestOf, formatDigest, parseDigest, sameDigest } from './artifact-digest.ts';
import type { ArtifactDigest } from './artifact-digest.ts';
import { verifyBundle } from './bundle-verifier.ts';
import { issuedByTrustedCA } from './failure-classification.ts';
import type { TrustedKey } from './public-key.ts';
import type { Thresholds, TrustRoot } from './trusted-root.ts';
import { escapeUntrusted, quoteUntrusted } from './untrusted-text.ts';
import { invalid, unverifiable, verified } from './verification-result.ts';
import type { FailedVerification, VerificationResult } from './verification-result.ts';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const ANNOTATION_SIGNATURE = 'dev.cosignproject.cosign/signature';
export const ANNOTATION_CERTIFICATE = 'dev.sigstore.cosign/certificate';
export const ANNOTATION_CHAIN = 'dev.sigstore.cosign/chain';
export const ANNOTATION_BUNDLE = 'dev.sigstore.cosign/bundle';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** One layer of a signature manifest: its descriptor digest and annotations. */
export interface LegacySignatureLayer {
  mediaType?: string;
  digest: string;
  annotations: Readonly<Record<string, string>>;
}

export interface LegacyVerificationInput {
  layer: LegacySignatureLayer;
  /** The layer blob: the exact signed simple-signing payload bytes. */
  payload: Uint8Array;
  /** The manifest digest being judged. */
  imageDigest: ArtifactDigest;
  trust: TrustRoot;
  keys?: readonly TrustedKey[];
  thresholds?: Thresholds;
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'is not base64');

const rekorBundleSchema = z.object({
  SignedEntryTimestamp: base64.min(1).max(4096),
  Payload: z.object({
    body: base64.min(1).max(1024 * 1024),
    integratedTime: z.number().int().min(0),
    logIndex: z.number().int().min(0),
    logID: z.string().regex(/^[0-9a-f]{64}$/, 'is not a hex log ID'),
  }),
});

const entryBodySchema = z.looseObject({ kind: z.string().max(64), apiVersion: z.string().max(64) });

const simpleSigningSchema = z.object({
  critical: z.object({
    identity: z.object({ 'docker-reference': z.string().max(4096) }),
    image: z.object({ 'docker-manifest-digest': z.string().max(256) }),
    type: z.literal(COSIGN_SIGNATURE_TYPE),
  }),
  optional: z.record(z.string(), z.unknown()).nullish(),
});

export type SimpleSigningPayload = z.infer<typeof simpleSigningSchema>;

export function parseSimpleSigningPayload(payload: Uint8Array): SimpleSigningPayload | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return { error: 'payload is not JSON' };
  }
  const parsed = simpleSigningSchema.safeParse(json);
  return parsed.success ? parsed.data : { error: 'payload is not a cosign simple-signing payload' };
}

/**
 * The simple-signing payload cosign writes for `dockerReference`@`manifestDigest` when signing
 * without annotations, byte for byte: Go's encoder, keys in this order, no spaces, `optional` null.
 */
export function cosignPayload(dockerReference: string, manifestDigest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': dockerReference },
        image: { 'docker-manifest-digest': manifestDigest },
        type: COSIGN_SIGNATURE_TYPE,
      },
      optional: null,
    }),
  );
}

/** The DER bytes of a single PEM certificate. */
function certificateDer(pem: string): Buffer<ArrayBuffer> | undefined {
  const match = /^\s*-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----\s*$/.exec(
    pem,
  );
  return match?.[1] ? Buffer.from(match[1].replace(/\s+/g, ''), 'base64') : undefined;
}

/**
 * The Sigstore bundle v0.1 equivalent to a legacy layer: the leaf certificate of a keyless layer
 * (intermediates come from the trusted root only: the verifier ignores those a bundle carries) or,
 * for a key-signed layer (no certificate annotation), `publicKey` material with no hint (the key is
 * given to the verifier, never looked up by hint); the Rekor entry from the bundle annotation (none
 * if the layer has no annotation); and a message signature over the payload bytes.
 */
export function legacyLayerBundle(
  layer: LegacySignatureLayer,
  payload: Uint8Array,
): { bundle: object } | { error: string } {
  const signature = layer.annotations[ANNOTATION_SIGNATURE];
  if (signature === undefined || !base64.safeParse(signature).success || signature === '')
    return { error: 'layer has no base64 signature annotation' };
  const pem = layer.annotations[ANNOTATION_CERTIFICATE] ?? '';
  const certificate = pem === '' ? undefined : certificateDer(pem);
  if (pem !== '' && !certificate) return { error: 'certificate annotation is not one PEM certificate' };
  const tlogEntries: object[] = [];
  const annotation = layer.annotations[ANNOTATION_BUNDLE];
  if (annotation !== undefined) {
    let rekor: z.infer<typeof rekorBundleSchema>;
    try {
      const parsed = rekorBundleSchema.safeParse(JSON.parse(annotation));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return {
          error: `Rekor bundle annotation is malformed at ${issue?.path.join('.')}: ${issue?.message}`,
        };
      }
      rekor = parsed.data;
    } catch {
      return { error: 'Rekor bundle annotation is not JSON' };
    }
    let body: z.infer<typeof entryBodySchema>;
    try {
      const parsed = entryBodySchema.safeParse(
        JSON.parse(Buffer.from(rekor.Payload.body, 'base64').toString('utf8')),
      );
      if (!parsed.success) return { error: 'Rekor entry body has no kind and apiVersion' };
      body = parsed.data;
    } catch {
      return { error: 'Rekor entry body is not JSON' };
    }
    tlogEntries.push({
      logIndex: String(rekor.Payload.logIndex),
      logId: { keyId: Buffer.from(rekor.Payload.logID, 'hex').toString('base64') },
      kindVersion: { kind: body.kind, version: body.apiVersion },
      integratedTime: String(rekor.Payload.integratedTime),
      inclusionPromise: { signedEntryTimestamp: rekor.SignedEntryTimestamp },
      canonicalizedBody: rekor.Payload.body,
    });
  }
  return {
    bundle: {
      mediaType: BUNDLE_V01_MEDIA_TYPE,
      verificationMaterial: {
        ...(certificate
          ? { x509CertificateChain: { certificates: [{ rawBytes: certificate.toString('base64') }] } }
          : { publicKey: { hint: '' } }),
        tlogEntries,
      },
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: sha256Base64(payload) },
        signature,
      },
    },
  };
}

const sha256Base64 = (bytes: Uint8Array): string =>
  Buffer.from(digestOf(bytes, 'sha256').hex, 'hex').toString('base64');

/** Verifies one signature layer for the image digest being judged. */
export function verifyLegacySignature(input: LegacyVerificationInput): VerificationResult {
  const { layer, payload } = input;
  if (payload.length > MAX_PAYLOAD_BYTES) return invalid(`payload is larger than ${MAX_PAYLOAD_BYTES} bytes`);
  const descriptor = parseDigest(layer.digest);
  if ('error' in descriptor)
    return invalid(`layer digest ${quoteUntrusted(layer.digest, 150)}: ${descriptor.error}`);
  if (!sameDigest(digestOf(payload, descriptor.algorithm), descriptor))
    return invalid(`payload blob does not match its descriptor digest ${formatDigest(descriptor)}`);

  const hasCertificate = (layer.annotations[ANNOTATION_CERTIFICATE] ?? '') !== '';
  const result = hasCertificate ? verifyKeyless(input) : verifyKeySigned(input);
  if (result.outcome === 'Unverifiable' && hasCertificate) return replayedSignature(input) ?? result;
  if (result.outcome !== 'Verified') return result;
  return payloadProblem(payload, input.imageDigest) ?? result;
}

/**
 * As in bundle-verifier.ts: a genuine signature by a certificate of our CA whose payload names
 * another image is a replay, Invalid, even when something we cannot check (an unknown log, no
 * Rekor annotation) made the verification itself Unverifiable.
 */
function replayedSignature(input: LegacyVerificationInput): FailedVerification | undefined {
  const der = certificateDer(input.layer.annotations[ANNOTATION_CERTIFICATE] ?? '');
  const signature = input.layer.annotations[ANNOTATION_SIGNATURE] ?? '';
  if (!der || !base64.safeParse(signature).success) return undefined;
  try {
    const leaf = X509Certificate.parse(der);
    if (!issuedByTrustedCA(leaf, input.trust)) return undefined;
    const key = createPublicKey({ key: leaf.publicKey, format: 'der', type: 'spki' });
    if (!verifySignature('sha256', input.payload, key, Buffer.from(signature, 'base64'))) return undefined;
  } catch {
    return undefined;
  }
  const problem = payloadProblem(input.payload, input.imageDigest);
  return problem ? invalid(`a genuine signature for another image: ${problem.reason}`) : undefined;
}

/** Verifies every layer of a signature manifest; the caller decides what the set of results means. */
export function verifyLegacySignatures(
  layers: readonly { layer: LegacySignatureLayer; payload: Uint8Array }[],
  rest: Omit<LegacyVerificationInput, 'layer' | 'payload'>,
): VerificationResult[] {
  return layers.map(({ layer, payload }) => verifyLegacySignature({ ...rest, layer, payload }));
}

function verifyKeyless(input: LegacyVerificationInput): VerificationResult {
  const converted = legacyLayerBundle(input.layer, input.payload);
  if ('error' in converted) return invalid(converted.error);
  if (input.layer.annotations[ANNOTATION_BUNDLE] === undefined)
    // The entry may well be in the log (older cosign did not embed it); offline we cannot tell
    // when the short-lived certificate was used. The transparency-log lane can look it up.
    return unverifiable(
      'keyless signature without a Rekor bundle annotation: its signing time cannot be established offline',
    );
  return verifyBundle({
    bundle: converted.bundle,
    artifact: { bytes: input.payload },
    trust: input.trust,
    ...(input.thresholds ? { thresholds: input.thresholds } : {}),
  });
}

/**
 * A key-signed layer. Without a Rekor bundle annotation: the pinned keys only. With one, the layer
 * is also verified as its v0.1 bundle (verifyBundle: the log's promise, the entry against the
 * signature and payload, the signature), with the pinned keys or, when none made the signature,
 * the key the entry records if the entry is from a log of our trusted root (logged-key.ts). That key
 * is trusted only because the log vouches that it signed this payload at that time; whether it is
 * the key expected for the image is for continuity (who signs) and the pins to judge.
 */
function verifyKeySigned(input: LegacyVerificationInput): VerificationResult {
  const pinned = verifyWithPinnedKeys(input);
  if (input.layer.annotations[ANNOTATION_BUNDLE] === undefined) return pinned;
  const converted = legacyLayerBundle(input.layer, input.payload);
  if ('error' in converted) return invalid(converted.error);
  const logged = verifyBundle({
    bundle: converted.bundle,
    artifact: { bytes: input.payload },
    trust: input.trust,
    keys: input.keys ?? [],
    ...(input.thresholds ? { thresholds: input.thresholds } : {}),
  });
  // A pinned key made the signature: the log entry only corroborates it. A failure against material
  // we trust (a promise of our log that does not verify, an entry for another signature) still
  // overrides it; an entry we cannot check (a log we do not know) does not take the pinned key away.
  if (pinned.outcome === 'Verified') return logged.outcome === 'Invalid' ? logged : pinned;
  return logged;
}

/** A single signature check over the payload bytes, with each key we were given. */
function verifyWithPinnedKeys(input: LegacyVerificationInput): VerificationResult {
  const annotation = input.layer.annotations[ANNOTATION_SIGNATURE];
  if (annotation === undefined || annotation === '' || !base64.safeParse(annotation).success)
    return invalid('layer has no base64 signature annotation');
  const signature = Buffer.from(annotation, 'base64');
  for (const key of input.keys ?? []) {
    // cosign signs with SHA-256 for ECDSA and RSA keys; Ed25519 and Ed448 take no separate digest.
    const type = key.key.asymmetricKeyType;
    const algorithm = type === 'ed25519' || type === 'ed448' ? null : 'sha256';
    if (verifiesWith(algorithm, input.payload, key, signature))
      return verified({ kind: 'Key', fingerprint: key.fingerprint });
  }
  return unverifiable(
    (input.keys ?? []).length === 0
      ? 'key-signed signature and no public key was given'
      : 'key-signed signature that none of the given public keys verifies',
  );
}

function verifiesWith(
  algorithm: string | null,
  payload: Uint8Array,
  key: TrustedKey,
  signature: Buffer,
): boolean {
  try {
    return verifySignature(algorithm, payload, key.key, signature);
  } catch {
    return false;
  }
}

/** Why a verified payload does not name the image being judged, if it does not. */
function payloadProblem(payload: Uint8Array, imageDigest: ArtifactDigest): FailedVerification | undefined {
  const parsed = parseSimpleSigningPayload(payload);
  if ('error' in parsed) return invalid(parsed.error);
  const named = parsed.critical.image['docker-manifest-digest'];
  const digest = parseDigest(named);
  if ('error' in digest)
    return invalid(`payload names digest ${quoteUntrusted(named, 150)}: ${digest.error}`);
  return sameDigest(digest, imageDigest)
    ? undefined
    : invalid(`payload signs ${formatDigest(digest)}, not ${escapeUntrusted(formatDigest(imageDigest))}`);
}
