// Verifies one Sigstore bundle (v0.1, v0.2, v0.3; message signature or DSSE) against the artifact
// being judged, with @sigstore/verify doing every cryptographic check. What the library leaves to
// its caller is done here: the bundle format gate, the check that the signature speaks about THIS
// artifact (message digest, or an in-toto subject), the code-signing EKU, reading the signer
// identity, trying the public keys we hold or the key a verified log entry records (logged-key.ts),
// and classifying failures (failure-classification.ts).
import { createHash, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  ValidationError,
  bundleFromJSON,
} from '@sigstore/bundle';
import type { Bundle, MessageSignature } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity } from '@sigstore/verify';
import type { SignedEntity, TrustMaterial } from '@sigstore/verify';
import { z } from 'zod';
import { digestOf, formatDigest } from './artifact-digest.ts';
import type { ArtifactDigest } from './artifact-digest.ts';
import { memoizeCertificate } from './certificate-memo.ts';
import { certificateIdentity, hasCodeSigningUsage, keylessSigner } from './certificate-identity.ts';
import { classifyVerificationFailure, issuedByTrustedCA } from './failure-classification.ts';
import { parseStatement, statementCoverage } from './in-toto-statement.ts';
import { loggedKeys } from './logged-key.ts';
import { hintNames } from './public-key.ts';
import type { TrustedKey } from './public-key.ts';
import { defaultThresholds } from './trusted-root.ts';
import type { Thresholds, TrustRoot } from './trusted-root.ts';
import { escapeUntrusted, quoteUntrusted } from './untrusted-text.ts';
import { invalid, unverifiable, verified } from './verification-result.ts';
import type { FailedVerification, VerificationResult } from './verification-result.ts';

/** The artifact being judged: its bytes, or only its digest (an image manifest digest, a measurement). */
export type ArtifactInput = { bytes: Uint8Array } | { digest: ArtifactDigest };

export interface BundleVerificationInput {
  /** The bundle's JSON, parsed. */
  bundle: unknown;
  artifact: ArtifactInput;
  trust: TrustRoot;
  /**
   * Pinned public keys for key-signed bundles (`publicKey` verification material). When none made
   * the signature, the key a verified entry of a log in `trust` records is tried (logged-key.ts).
   */
  keys?: readonly TrustedKey[];
  /** Defaults to what the trusted root can vouch for (defaultThresholds). */
  thresholds?: Thresholds;
}

export const MAX_BUNDLE_BYTES = 8 * 1024 * 1024;

export const SUPPORTED_BUNDLE_MEDIA_TYPES: readonly string[] = [
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
];

const SIGSTORE_BUNDLE_MEDIA_TYPE =
  /^application\/vnd\.dev\.sigstore\.bundle(\.v\d+\.\d+\+json|\+json;version=\d+\.\d+)$/;

// The shape of the serialized bundle where the protobuf JSON mapping is lenient: base64 is decoded
// strictly here (protobuf skips characters it does not know), integers are non-negative, lists are
// bounded. Optional parts may be absent or null. Anything else is left to the library's validation.
const base64 = z
  .string()
  .max(MAX_BUNDLE_BYTES)
  .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'is not base64');
const unsigned = z.union([
  z.string().regex(/^\d{1,20}$/, 'is not a non-negative integer'),
  z.number().int().min(0),
]);
const serializedBundleSchema = z.looseObject({
  mediaType: z.string(),
  verificationMaterial: z.looseObject({
    x509CertificateChain: z
      .looseObject({ certificates: z.array(z.looseObject({ rawBytes: base64 })).max(16) })
      .nullish(),
    certificate: z.looseObject({ rawBytes: base64 }).nullish(),
    publicKey: z.looseObject({ hint: z.string().max(1024).nullish() }).nullish(),
    tlogEntries: z
      .array(
        z.looseObject({
          logIndex: unsigned,
          logId: z.looseObject({ keyId: base64 }),
          integratedTime: unsigned.nullish(),
          inclusionPromise: z.looseObject({ signedEntryTimestamp: base64 }).nullish(),
          inclusionProof: z
            .looseObject({
              logIndex: unsigned,
              rootHash: base64,
              treeSize: unsigned,
              hashes: z.array(base64).max(64),
            })
            .nullish(),
          canonicalizedBody: base64,
        }),
      )
      .max(32)
      .nullish(),
    timestampVerificationData: z
      .looseObject({
        rfc3161Timestamps: z
          .array(z.looseObject({ signedTimestamp: base64 }))
          .max(32)
          .nullish(),
      })
      .nullish(),
  }),
  messageSignature: z
    .looseObject({
      messageDigest: z.looseObject({ digest: base64 }).nullish(),
      signature: base64,
    })
    .nullish(),
  dsseEnvelope: z
    .looseObject({
      payload: base64,
      payloadType: z.string().max(1024),
      signatures: z.array(z.looseObject({ sig: base64 })).max(16),
    })
    .nullish(),
});

/** Verifies a bundle given as JSON text (a file, a registry blob). */
export function verifyBundleText(
  text: string,
  input: Omit<BundleVerificationInput, 'bundle'>,
): VerificationResult {
  if (text.length > MAX_BUNDLE_BYTES) return invalid(`bundle is larger than ${MAX_BUNDLE_BYTES} bytes`);
  let bundle: unknown;
  try {
    bundle = JSON.parse(text);
  } catch (error) {
    return invalid(`bundle is not JSON (${escapeUntrusted((error as Error).message)})`);
  }
  return verifyBundle({ ...input, bundle });
}

/** Verifies a bundle (parsed JSON) against the artifact. Never Verified on any error. */
export function verifyBundle(input: BundleVerificationInput): VerificationResult {
  const parsed = parseBundle(input.bundle);
  if ('outcome' in parsed) return parsed;
  const bundle = parsed.bundle;
  const artifact = input.artifact;
  let bytes: Buffer | undefined;
  let judged: ArtifactDigest[];
  if ('bytes' in artifact) {
    bytes = Buffer.from(artifact.bytes);
    // Known by its bytes, the artifact is known by every digest we can compute of it.
    judged = (['sha256', 'sha384', 'sha512'] as const).map((algorithm) =>
      digestOf(artifact.bytes, algorithm),
    );
  } else {
    judged = [artifact.digest];
  }

  if (bundle.content.$case === 'messageSignature' && bytes === undefined)
    return messageSignatureWithoutBytes(bundle.content.messageSignature, judged[0] as ArtifactDigest);

  let entity: SignedEntity;
  try {
    entity = toSignedEntity(bundle, bytes);
    if (entity.key.$case === 'certificate') memoizeCertificate(entity.key.certificate);
  } catch (error) {
    return invalid(
      `malformed bundle: a certificate or timestamp does not parse (${escapeUntrusted(String(error))})`,
    );
  }
  const thresholds = input.thresholds ?? defaultThresholds(input.trust);
  const signer =
    entity.key.$case === 'certificate'
      ? verifyKeyless(entity, bundle, input.trust, thresholds)
      : verifyWithKeys(entity, entity.key.hint, bundle, input.trust, input.keys ?? [], thresholds);
  if (signer.outcome === 'Unverifiable')
    return replayedSignature(entity, bundle, input, judged, bytes) ?? signer;
  if (signer.outcome !== 'Verified') return signer;
  return coverageProblem(bundle, judged, bytes) ?? signer;
}

/**
 * A genuine signature copied onto another artifact is the classic replay, and Invalid. Breaking
 * something we cannot check (say, the log ID of its entry) must not launder it into Unverifiable:
 * when a key we trust — the leaf of a CA of our root, or one of our keys — made the signature and
 * the signed content names another artifact, the result is Invalid whatever else failed.
 */
function replayedSignature(
  entity: SignedEntity,
  bundle: Bundle,
  input: BundleVerificationInput,
  judged: ArtifactDigest[],
  bytes: Buffer | undefined,
): FailedVerification | undefined {
  let keys: KeyObject[] = [];
  if (entity.key.$case === 'public-key') {
    keys = (input.keys ?? []).map((key) => key.key);
  } else if (issuedByTrustedCA(entity.key.certificate, input.trust)) {
    try {
      keys = [createPublicKey({ key: entity.key.certificate.publicKey, format: 'der', type: 'spki' })];
    } catch {
      keys = [];
    }
  }
  if (!keys.some((key) => signsWith(entity, key))) return undefined;
  const problem = coverageProblem(bundle, judged, bytes);
  return problem?.outcome === 'Invalid'
    ? invalid(`a genuine signature for another artifact: ${problem.reason}`)
    : undefined;
}

/** The bundle as the library's type, or why it is not one we can verify. */
function parseBundle(json: unknown): { bundle: Bundle } | FailedVerification {
  const mediaType =
    typeof json === 'object' && json !== null ? (json as { mediaType?: unknown }).mediaType : undefined;
  if (typeof mediaType !== 'string') return invalid('not a Sigstore bundle (no media type)');
  if (!SUPPORTED_BUNDLE_MEDIA_TYPES.includes(mediaType))
    return SIGSTORE_BUNDLE_MEDIA_TYPE.test(mediaType)
      ? unverifiable(`unsupported Sigstore bundle version ${quoteUntrusted(mediaType)}`)
      : invalid(`not a Sigstore bundle (media type ${quoteUntrusted(mediaType)})`);
  const shape = serializedBundleSchema.safeParse(json);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    return invalid(`malformed bundle at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
  }
  try {
    return { bundle: bundleFromJSON(json) };
  } catch (error) {
    return error instanceof ValidationError
      ? invalid(`malformed bundle (${error.message}: ${error.fields.slice(0, 8).join(', ')})`)
      : invalid(`malformed bundle (${escapeUntrusted(String(error))})`);
  }
}

function verifyKeyless(
  entity: SignedEntity,
  bundle: Bundle,
  trust: TrustRoot,
  thresholds: Thresholds,
): VerificationResult {
  if (entity.key.$case !== 'certificate') throw new Error('unreachable: not certificate-signed');
  try {
    // No policy argument, ever: identities are matched in identity-policy.ts.
    new Verifier(trust.material, thresholds).verify(entity);
  } catch (error) {
    return classifyVerificationFailure(error, bundle, trust);
  }
  const leaf = entity.key.certificate;
  if (!hasCodeSigningUsage(leaf)) return invalid('certificate lacks the code-signing extended key usage');
  const identity = certificateIdentity(leaf);
  if ('error' in identity) return invalid(`certificate identity refused: ${identity.error}`);
  return verified(keylessSigner(identity));
}

/**
 * A key-signed bundle. The keys that made the signature (the library's own signature check) are
 * found first and the bundle is verified in full with them. The hint is unauthenticated: it never
 * selects a key; it only tells the two failures apart when none of our keys made the signature —
 * Invalid if it names one of our keys (a bad signature under a key we trust). Otherwise the key a
 * verified entry of a log we trust records is the second route (logged-key.ts); without one the
 * signature is Unverifiable.
 */
function verifyWithKeys(
  entity: SignedEntity,
  hint: string,
  bundle: Bundle,
  trust: TrustRoot,
  keys: readonly TrustedKey[],
  thresholds: Thresholds,
): VerificationResult {
  const signing = keys.filter((key) => signsWith(entity, key.key));
  // A key we were given is the trust anchor itself and has no validity window to place the
  // signature in: no log entry or timestamp is required (as for key-signed legacy layers). Entries
  // the bundle does carry are still verified by the library.
  if (signing.length > 0) return verifyWithEachKey(entity, bundle, trust, signing, PINNED_KEY_THRESHOLDS);
  if (keys.some((key) => hintNames(key, hint)))
    return invalid('signature does not verify with the key its hint names');
  const logged = loggedKeys(bundle, trust);
  if (logged.length > 0)
    // The key is trusted only because the log vouches for it: at least one verified entry is
    // required whatever the thresholds say (the library verifies every entry a bundle carries).
    // No pre-selection by signature here: a promise of our log that does not verify is a forgery
    // (Invalid), and the verifier checks it before the signature.
    return verifyWithEachKey(entity, bundle, trust, logged, {
      ...thresholds,
      tlogThreshold: Math.max(1, thresholds.tlogThreshold),
    });
  return unverifiable(
    `signed with a key we do not hold${hint ? ` (hint ${quoteUntrusted(hint, 100)})` : ''}${keys.length === 0 ? '; no public key was given' : ''}, and no entry of a log in trusted root ${trust.source} records a public key`,
  );
}

const PINNED_KEY_THRESHOLDS: Thresholds = { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 };

/** The bundle verified in full with each key in turn: the first that passes is the signer. */
function verifyWithEachKey(
  entity: SignedEntity,
  bundle: Bundle,
  trust: TrustRoot,
  keys: readonly TrustedKey[],
  thresholds: Thresholds,
): VerificationResult {
  let failure: unknown;
  for (const key of keys) {
    const material: TrustMaterial = {
      ...trust.material,
      // A pinned key is ours, not time-bound: the root's validity windows apply to its own keys
      // only. A logged key is vouched for at the entry's time, which the log's promise covers.
      publicKey: () => ({ publicKey: key.key, validFor: () => true }),
    };
    try {
      new Verifier(material, thresholds).verify(entity);
      return verified({ kind: 'Key', fingerprint: key.fingerprint });
    } catch (error) {
      failure ??= error;
    }
  }
  return classifyVerificationFailure(failure, bundle, trust);
}

/** Whether `key` made the signature (the library's own signature check, nothing else). */
function signsWith(entity: SignedEntity, key: KeyObject): boolean {
  try {
    return entity.signature.verifySignature(key);
  } catch {
    return false;
  }
}

const HASH_NAMES: Partial<Record<HashAlgorithm, string>> = {
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
  [HashAlgorithm.SHA3_256]: 'sha3-256',
  [HashAlgorithm.SHA3_384]: 'sha3-384',
};

/**
 * A message signature is a signature over the artifact's bytes, which the library verifies by
 * hashing them: with only a digest there is nothing to verify it with. If its (unauthenticated)
 * message digest names another artifact, it is not a signature of this one at all.
 */
function messageSignatureWithoutBytes(
  signature: MessageSignature,
  judged: ArtifactDigest,
): FailedVerification {
  const algorithm = signature.messageDigest ? HASH_NAMES[signature.messageDigest.algorithm] : undefined;
  const hex = signature.messageDigest ? Buffer.from(signature.messageDigest.digest).toString('hex') : '';
  if (algorithm === judged.algorithm && hex !== judged.hex)
    return invalid(`message signature is for ${algorithm}:${hex}, not ${formatDigest(judged)}`);
  return unverifiable('a message signature is verified over the artifact bytes; only a digest was given');
}

/** Why a cryptographically valid bundle does not speak about the artifact being judged, if it does not. */
function coverageProblem(
  bundle: Bundle,
  judged: ArtifactDigest[],
  bytes: Buffer | undefined,
): FailedVerification | undefined {
  const content = bundle.content;
  if (content.$case === 'messageSignature') {
    // The signature verified over `bytes`; its message digest must name the same bytes.
    const digest = content.messageSignature.messageDigest;
    const algorithm = digest ? HASH_NAMES[digest.algorithm] : undefined;
    if (!digest || !algorithm || !bytes) return invalid('message signature has no usable message digest');
    const actual = createHash(algorithm).update(bytes).digest();
    return actual.equals(Buffer.from(digest.digest))
      ? undefined
      : invalid(
          `message digest ${algorithm}:${Buffer.from(digest.digest).toString('hex')} does not match the artifact`,
        );
  }
  const envelope = content.dsseEnvelope;
  const statement = parseStatement(envelope.payloadType, envelope.payload);
  if ('error' in statement) return invalid(`${statement.error}: it does not name the artifact`);
  const named = judged[0] ? formatDigest(judged[0]) : 'the artifact';
  switch (statementCoverage(statement, judged)) {
    case 'Covered':
      return undefined;
    case 'OtherArtifact':
      return invalid(`no in-toto subject names ${named}`);
    case 'OtherAlgorithms':
      return unverifiable(
        `the in-toto subjects name no ${judged.map((d) => d.algorithm).join(' or ')} digest`,
      );
  }
}
