// Edge cases of bundle verification and failure classification that the shared fixtures do not
// carry; the fixtures themselves run in test/unit/sigstore-fixtures.test.ts.
import { readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { VerificationError } from '@sigstore/verify';
import { describe, expect, it } from 'vitest';
import { digestOf, parseDigest } from './artifact-digest.ts';
import type { ArtifactDigest } from './artifact-digest.ts';
import { verifyBundle, verifyBundleText } from './bundle-verifier.ts';
import type { ArtifactInput } from './bundle-verifier.ts';
import { classifyVerificationFailure } from './failure-classification.ts';
import { statementCoverage } from './in-toto-statement.ts';
import type { InTotoStatement } from './in-toto-statement.ts';
import { parsePublicKey } from './public-key.ts';
import type { TrustedKey } from './public-key.ts';
import { parseTrustedRoot, publicGoodTrustRoot } from './trusted-root.ts';
import type { TrustRoot } from './trusted-root.ts';
import { sigstoreFixture } from '../../test/shared-fixtures.ts';

const read = (path: string): string => readFileSync(sigstoreFixture(path), 'utf8');
/** The parts of a serialized bundle the tests below change. */
interface Json {
  mediaType: string;
  verificationMaterial: {
    certificate?: { rawBytes: string };
    publicKey?: { hint: string };
    tlogEntries: {
      logId: { keyId: string };
      inclusionPromise?: { signedEntryTimestamp: string };
      canonicalizedBody: string;
    }[];
  };
  messageSignature?: { signature: string };
}
const bundleJson = (id: string): Json => JSON.parse(read(`bundles/${id}/bundle.sigstore.json`)) as Json;
const firstEntry = (bundle: Json) => bundle.verificationMaterial.tlogEntries[0]!;

const trust = publicGoodTrustRoot();
const A_TXT = readFileSync(sigstoreFixture('artifacts/a.txt'));
const A_TXT_SHA256 = digestOf(A_TXT, 'sha256');
const OTHER = parseDigest(`sha256:${'0'.repeat(64)}`) as ArtifactDigest;
const managedKey = parsePublicKey(read('bundles/C-conformance-managed-key-happy-path/key.pub')) as TrustedKey;
const otherKey = parsePublicKey(read('keys/connaisseur-bob.pub')) as TrustedKey;
const root = (path: string): TrustRoot => parseTrustedRoot(read(path), path) as TrustRoot;

const MESSAGE = 'C-conformance-happy-path-v0.3';
const DSSE = 'C-conformance-happy-path-intoto-in-dsse-v3';
const KEYED = 'C-conformance-managed-key-happy-path';

/** A copy of a fixture bundle with one change. */
function changed(id: string, change: (bundle: Json) => void): Json {
  const bundle = bundleJson(id);
  change(bundle);
  return bundle;
}

const flipBase64 = (value: string, at = 40): string => {
  const bytes = Buffer.from(value, 'base64');
  bytes[at % bytes.length] = (bytes[at % bytes.length] ?? 0) ^ 0x01;
  return bytes.toString('base64');
};

/** A copy of a fixture bundle whose first log entry names a log no root of ours knows. */
const unknownLog = (id: string): Json =>
  changed(id, (b) => (firstEntry(b).logId.keyId = flipBase64(firstEntry(b).logId.keyId, 3)));

describe('verifyBundle', () => {
  it.each<
    [
      string,
      () => { bundle: unknown; artifact: ArtifactInput; keys?: TrustedKey[]; trust?: TrustRoot },
      string,
    ]
  >([
    [
      'message signature over the artifact bytes',
      () => ({ bundle: bundleJson(MESSAGE), artifact: { bytes: A_TXT } }),
      'Verified',
    ],
    [
      'message signature given only the matching digest: nothing to verify it with',
      () => ({ bundle: bundleJson(MESSAGE), artifact: { digest: A_TXT_SHA256 } }),
      'Unverifiable',
    ],
    [
      'message signature for another digest',
      () => ({ bundle: bundleJson(MESSAGE), artifact: { digest: OTHER } }),
      'Invalid',
    ],
    [
      'DSSE statement naming the digest',
      () => ({ bundle: bundleJson(DSSE), artifact: { digest: A_TXT_SHA256 } }),
      'Verified',
    ],
    [
      'DSSE statement naming the bytes',
      () => ({ bundle: bundleJson(DSSE), artifact: { bytes: A_TXT } }),
      'Verified',
    ],
    [
      'DSSE statement naming another artifact (replay)',
      () => ({ bundle: bundleJson(DSSE), artifact: { digest: OTHER } }),
      'Invalid',
    ],
    [
      'DSSE statement naming its subject by another digest algorithm only',
      () => ({ bundle: bundleJson(DSSE), artifact: { digest: digestOf(A_TXT, 'sha512') } }),
      'Unverifiable',
    ],
    [
      'key-signed, with the key',
      () => ({ bundle: bundleJson(KEYED), artifact: { bytes: A_TXT }, keys: [managedKey] }),
      'Verified',
    ],
    [
      'key-signed, the key after another one',
      () => ({ bundle: bundleJson(KEYED), artifact: { bytes: A_TXT }, keys: [otherKey, managedKey] }),
      'Verified',
    ],
    [
      'key-signed, with a key that did not sign it: the key its verified log entry records did',
      () => ({ bundle: bundleJson(KEYED), artifact: { bytes: A_TXT }, keys: [otherKey] }),
      'Verified',
    ],
    [
      'key-signed, with a key that did not sign it, its log entry from a log we do not know',
      () => ({ bundle: unknownLog(KEYED), artifact: { bytes: A_TXT }, keys: [otherKey] }),
      'Unverifiable',
    ],
    [
      'key-signed, no key given: the key its verified log entry records',
      () => ({ bundle: bundleJson(KEYED), artifact: { bytes: A_TXT } }),
      'Verified',
    ],
    [
      'key-signed, no key given, its log entry from a log we do not know',
      () => ({ bundle: unknownLog(KEYED), artifact: { bytes: A_TXT } }),
      'Unverifiable',
    ],
    [
      'key-signed, no key given, under a root without its log (staging)',
      () => ({
        bundle: bundleJson(KEYED),
        artifact: { bytes: A_TXT },
        trust: root('trusted-roots/staging.trusted_root.json'),
      }),
      'Unverifiable',
    ],
    [
      'key-signed, no key given, the promise of our log broken (forged)',
      () => ({
        bundle: changed(KEYED, (b) => {
          const promise = firstEntry(b).inclusionPromise!;
          promise.signedEntryTimestamp = flipBase64(promise.signedEntryTimestamp);
        }),
        artifact: { bytes: A_TXT },
      }),
      'Invalid',
    ],
    [
      'key-signed, no key given, the key its log entry records swapped for another (forged)',
      () => ({
        bundle: changed(KEYED, (b) => {
          const entry = firstEntry(b);
          const body = JSON.parse(Buffer.from(entry.canonicalizedBody, 'base64').toString('utf8')) as {
            spec: { signature: { publicKey: { content: string } } };
          };
          body.spec.signature.publicKey.content = Buffer.from(read('keys/connaisseur-bob.pub')).toString(
            'base64',
          );
          entry.canonicalizedBody = Buffer.from(JSON.stringify(body)).toString('base64');
        }),
        artifact: { bytes: A_TXT },
      }),
      'Invalid',
    ],
    [
      'key-signed, no key given, the logged signature presented for other bytes',
      () => ({ bundle: bundleJson(KEYED), artifact: { bytes: Buffer.from('other') } }),
      'Invalid',
    ],
    [
      'key-signed, no key given, its log entry recording a certificate, not a key',
      () => ({
        bundle: changed(MESSAGE, (b) => {
          delete b.verificationMaterial.certificate;
          b.verificationMaterial.publicKey = { hint: '' };
        }),
        artifact: { bytes: A_TXT },
      }),
      'Unverifiable',
    ],
    [
      'key-signed, the hinted key does not verify the signature over these bytes',
      () => ({ bundle: bundleJson(KEYED), artifact: { bytes: Buffer.from('other') }, keys: [managedKey] }),
      'Invalid',
    ],
    [
      'key-signed, a hint naming none of our keys and a bad signature, no log entry we know',
      () => ({
        bundle: changed(KEYED, (b) => {
          b.verificationMaterial.publicKey!.hint = 'unknown';
          firstEntry(b).logId.keyId = flipBase64(firstEntry(b).logId.keyId, 3);
        }),
        artifact: { bytes: Buffer.from('other') },
        keys: [managedKey],
      }),
      'Unverifiable',
    ],
    [
      'key-signed, a hint naming none of our keys and a bad signature under the key our log records',
      () => ({
        bundle: changed(KEYED, (b) => (b.verificationMaterial.publicKey!.hint = 'unknown')),
        artifact: { bytes: Buffer.from('other') },
        keys: [managedKey],
      }),
      'Invalid',
    ],
    [
      'a certificate claiming our CA whose signature is broken (forged)',
      () => ({
        bundle: changed(MESSAGE, (b) => {
          const certificate = b.verificationMaterial.certificate!;
          const der = Buffer.from(certificate.rawBytes, 'base64');
          der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0x01;
          certificate.rawBytes = der.toString('base64');
        }),
        artifact: { bytes: A_TXT },
      }),
      'Invalid',
    ],
    [
      'a log entry from a log we do not know',
      () => ({
        bundle: changed(
          MESSAGE,
          (b) => (firstEntry(b).logId.keyId = flipBase64(firstEntry(b).logId.keyId, 3)),
        ),
        artifact: { bytes: A_TXT },
      }),
      'Unverifiable',
    ],
    [
      'a replayed DSSE statement whose log entry we do not know (no laundering into Unverifiable)',
      () => ({
        bundle: changed(DSSE, (b) => (firstEntry(b).logId.keyId = flipBase64(firstEntry(b).logId.keyId, 3))),
        artifact: { digest: OTHER },
      }),
      'Invalid',
    ],
    [
      'a DSSE statement for this artifact whose log entry we do not know',
      () => ({
        bundle: changed(DSSE, (b) => (firstEntry(b).logId.keyId = flipBase64(firstEntry(b).logId.keyId, 3))),
        artifact: { digest: A_TXT_SHA256 },
      }),
      'Unverifiable',
    ],
    [
      'a replayed DSSE statement from a CA we do not know',
      () => ({
        bundle: bundleJson(DSSE),
        artifact: { digest: OTHER },
        trust: root('trusted-roots/staging.trusted_root.json'),
      }),
      'Unverifiable',
    ],
    [
      'a log entry from our log whose promise is broken',
      () => ({
        bundle: changed(MESSAGE, (b) => {
          const promise = firstEntry(b).inclusionPromise!;
          promise.signedEntryTimestamp = flipBase64(promise.signedEntryTimestamp);
        }),
        artifact: { bytes: A_TXT },
      }),
      'Invalid',
    ],
    [
      'a signature over other bytes',
      () => ({
        bundle: changed(
          MESSAGE,
          (b) => (b.messageSignature!.signature = flipBase64(b.messageSignature!.signature, 20)),
        ),
        artifact: { bytes: A_TXT },
      }),
      'Invalid',
    ],
    [
      'a public-good bundle under the staging root',
      () => ({
        bundle: bundleJson(MESSAGE),
        artifact: { bytes: A_TXT },
        trust: root('trusted-roots/staging.trusted_root.json'),
      }),
      'Unverifiable',
    ],
    [
      'a public-good bundle under the GitHub root',
      () => ({
        bundle: bundleJson(MESSAGE),
        artifact: { bytes: A_TXT },
        trust: root('trusted-roots/github.trusted_root.json'),
      }),
      'Unverifiable',
    ],
    [
      'a future bundle version',
      () => ({
        bundle: { ...bundleJson(MESSAGE), mediaType: 'application/vnd.dev.sigstore.bundle.v0.9+json' },
        artifact: { bytes: A_TXT },
      }),
      'Unverifiable',
    ],
    [
      'something that is not a bundle',
      () => ({ bundle: { mediaType: 'application/json' }, artifact: { bytes: A_TXT } }),
      'Invalid',
    ],
    ['no media type', () => ({ bundle: [], artifact: { bytes: A_TXT } }), 'Invalid'],
    ['null', () => ({ bundle: null, artifact: { bytes: A_TXT } }), 'Invalid'],
    [
      'a bundle without verification material content',
      () => ({
        bundle: changed(MESSAGE, (b) => delete b.verificationMaterial.certificate),
        artifact: { bytes: A_TXT },
      }),
      'Invalid',
    ],
    [
      'a certificate that does not parse',
      () => ({
        bundle: changed(
          MESSAGE,
          (b) => (b.verificationMaterial.certificate!.rawBytes = Buffer.from('garbage').toString('base64')),
        ),
        artifact: { bytes: A_TXT },
      }),
      'Invalid',
    ],
  ])('%s', (_name, input, outcome) => {
    const { bundle, artifact, keys, trust: root } = input();
    const result = verifyBundle({ bundle, artifact, trust: root ?? trust, ...(keys ? { keys } : {}) });
    expect(result.outcome, JSON.stringify(result)).toBe(outcome);
  });

  it('reports the keyless signer', () => {
    expect(verifyBundle({ bundle: bundleJson(MESSAGE), artifact: { bytes: A_TXT }, trust })).toEqual({
      outcome: 'Verified',
      signer: {
        kind: 'Keyless',
        identity:
          'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
        issuer: 'https://token.actions.githubusercontent.com',
        github: {
          workflowRepository: 'sigstore-conformance/extremely-dangerous-public-oidc-beacon',
          workflowRef: 'refs/heads/main',
          workflowTrigger: 'workflow_dispatch',
          workflowName: 'Extremely dangerous OIDC beacon',
          workflowSha: 'c7b3dfb335f051e1c86bda4c716fac97df62ad81',
        },
      },
    });
  });

  it('reports the key fingerprint of a key-signed bundle', () => {
    expect(
      verifyBundle({ bundle: bundleJson(KEYED), artifact: { bytes: A_TXT }, trust, keys: [managedKey] }),
    ).toEqual({
      outcome: 'Verified',
      signer: { kind: 'Key', fingerprint: managedKey.fingerprint },
    });
  });

  it('reports the fingerprint of the key a verified log entry records, without a key given', () => {
    // The key is vouched for by the log only: that it is the expected signer is continuity's call.
    for (const keys of [[], [otherKey]])
      expect(verifyBundle({ bundle: bundleJson(KEYED), artifact: { bytes: A_TXT }, trust, keys })).toEqual({
        outcome: 'Verified',
        signer: { kind: 'Key', fingerprint: managedKey.fingerprint },
      });
  });

  it('says why a key-signed bundle without a key and without a log entry we know is unverifiable', () => {
    expect(verifyBundle({ bundle: unknownLog(KEYED), artifact: { bytes: A_TXT }, trust })).toEqual({
      outcome: 'Unverifiable',
      reason: `signed with a key we do not hold (hint "TLMsSDfG3ajPsWge+z/vX5T/zluXnmvbkTkwLIV68Tk="); no public key was given, and no entry of a log in trusted root ${trust.source} records a public key`,
    });
  });

  it('refuses text that is not JSON', () => {
    expect(verifyBundleText('{', { artifact: { bytes: A_TXT }, trust }).outcome).toBe('Invalid');
  });
});

describe('classifyVerificationFailure', () => {
  const bundle = bundleFromJSON(bundleJson(MESSAGE));
  const failure = (code: VerificationError['code'], message: string) =>
    new VerificationError({ code, message });

  it.each<[string, unknown, string]>([
    // The messages @sigstore/verify uses for thresholds: a library upgrade that changes them fails here.
    ['too few timestamps', failure('TIMESTAMP_ERROR', 'expected 1 timestamps, got 0'), 'Unverifiable'],
    ['too few log entries', failure('TLOG_ERROR', 'expected 1 tlog entries, got 0'), 'Unverifiable'],
    ['too few SCTs', failure('CERTIFICATE_ERROR', 'expected 1 SCTs, got 0'), 'Unverifiable'],
    ['a duplicated log entry', failure('TLOG_ERROR', 'duplicate tlog entry'), 'Invalid'],
    ['a duplicated timestamp', failure('TIMESTAMP_ERROR', 'duplicate timestamp'), 'Invalid'],
    [
      'a log entry kind the verifier does not know',
      failure('TLOG_BODY_ERROR', 'unsupported kind: rekord'),
      'Unverifiable',
    ],
    ['a log entry that does not match', failure('TLOG_BODY_ERROR', 'signature mismatch'), 'Invalid'],
    ['a bad signature', failure('SIGNATURE_ERROR', 'signature verification failed'), 'Invalid'],
    ['an unknown key', failure('PUBLIC_KEY_ERROR', 'key not found: x'), 'Unverifiable'],
    [
      'a key outside its validity',
      failure('PUBLIC_KEY_ERROR', 'Public key is not valid for timestamp: x'),
      'Invalid',
    ],
    ['an SCT of a CT log we know', failure('CERTIFICATE_ERROR', 'SCT verification failed'), 'Invalid'],
    [
      'a chain failure for a leaf of our CA',
      failure('CERTIFICATE_ERROR', 'Failed to verify certificate chain'),
      'Invalid',
    ],
    [
      'a promise failure for our log',
      failure('TLOG_INCLUSION_PROMISE_ERROR', 'inclusion promise could not be verified'),
      'Invalid',
    ],
    [
      'a missing inclusion',
      failure('TLOG_MISSING_INCLUSION_ERROR', 'inclusion could not be verified'),
      'Invalid',
    ],
    ['something not implemented', failure('NOT_IMPLEMENTED_ERROR', 'x'), 'Unverifiable'],
    [
      'an unexpected exception',
      new TypeError("Cannot read properties of undefined (reading 'subs')"),
      'Unverifiable',
    ],
    ['a thrown non-error', 'boom', 'Unverifiable'],
  ])('%s', (_name, error, outcome) => {
    expect(classifyVerificationFailure(error, bundle, trust).outcome).toBe(outcome);
  });

  it('escapes untrusted text in reasons', () => {
    const result = classifyVerificationFailure(
      failure('TLOG_BODY_ERROR', 'kind x\u001b[2J\n'),
      bundle,
      trust,
    );
    expect(result.reason).not.toMatch(/\p{Cc}/u);
  });
});

describe('statementCoverage', () => {
  const statement = (digests: Record<string, string>[]): InTotoStatement => ({
    _type: 'https://in-toto.io/Statement/v1',
    predicateType: 'https://slsa.dev/provenance/v1',
    subject: digests.map((digest, i) => ({ name: `s${i}`, digest })),
  });
  const a = digestOf(Buffer.from('a'), 'sha256');
  const a512 = digestOf(Buffer.from('a'), 'sha512');
  it.each<[string, Record<string, string>[], ArtifactDigest[], string]>([
    ['one subject, same digest', [{ sha256: a.hex }], [a], 'Covered'],
    ['upper-case hex', [{ sha256: a.hex.toUpperCase() }], [a], 'Covered'],
    ['second subject', [{ sha256: '0'.repeat(64) }, { sha256: a.hex }], [a], 'Covered'],
    ['several algorithms, all matching', [{ sha256: a.hex, sha512: a512.hex }], [a, a512], 'Covered'],
    [
      'several algorithms, one contradicting',
      [{ sha256: a.hex, sha512: '0'.repeat(128) }],
      [a, a512],
      'OtherArtifact',
    ],
    ['other digest', [{ sha256: '0'.repeat(64) }], [a], 'OtherArtifact'],
    ['other algorithm only', [{ sha512: a512.hex }], [a], 'OtherAlgorithms'],
  ])('%s', (_name, subjects, artifact, coverage) => {
    expect(statementCoverage(statement(subjects), artifact)).toBe(coverage);
  });
});
