// Every bundle case of the shared Sigstore fixtures goes through `signwarden verify-bundle` itself
// (argv in, exit code and JSON report out); every legacy cosign case through legacy-cosign.ts with
// the case's image digest. Offline: trust comes from the fixture trusted roots only.
import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyBundleCommand } from '../../src/cli/verify-bundle.ts';
import { parseDigest } from '../../src/sigstore/artifact-digest.ts';
import type { ArtifactDigest } from '../../src/sigstore/artifact-digest.ts';
import { compileSignerPolicy, matchSigner } from '../../src/sigstore/identity-policy.ts';
import type { SignerPolicy } from '../../src/sigstore/identity-policy.ts';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_SIGNATURE,
  verifyLegacySignatures,
} from '../../src/sigstore/legacy-cosign.ts';
import type { LegacySignatureLayer } from '../../src/sigstore/legacy-cosign.ts';
import { parsePublicKey } from '../../src/sigstore/public-key.ts';
import type { TrustedKey } from '../../src/sigstore/public-key.ts';
import { defaultThresholds, parseTrustedRoot } from '../../src/sigstore/trusted-root.ts';
import type { TrustRoot } from '../../src/sigstore/trusted-root.ts';
import type { VerificationResult } from '../../src/sigstore/verification-result.ts';
import { sigstoreFixture } from '../shared-fixtures.ts';

const fixture = sigstoreFixture;

interface FixtureCase {
  id: string;
  type: 'trusted-root' | 'bundle' | 'cosign-legacy' | 'cosign-legacy-key' | 'rekor-entry';
  path: string;
  expect?: 'pass' | 'fail';
  trustedRoot?: string;
  artifact?: string;
  expectedDigest?: { algorithm: string; hex: string };
  subjects?: { name?: string; digest: Record<string, string> }[];
  policy?: { san: string; issuer: string };
  keys?: Record<string, { file?: string; npmKeysJson?: string; keyUsage?: string }>;
  publicKey?: string;
  verifierOptions?: { tlogThreshold?: number; ctlogThreshold?: number; timestampThreshold?: number };
  imageUnderTest?: { ref: string; digest: string };
}

const cases = (JSON.parse(readFileSync(fixture('cases.json'), 'utf8')) as { cases: FixtureCase[] }).cases;
const bundleCases = cases.filter((c) => c.type === 'bundle');
const legacyCases = cases.filter((c) => c.type === 'cosign-legacy' || c.type === 'cosign-legacy-key');

/**
 * How each known negative case must fail (ours, not the fixture's: the fixtures only say "fail").
 * PolicyMismatch: a genuine signature by someone other than the expected signer.
 */
const EXPECTED_FAILURE: Record<string, 'Invalid' | 'Unverifiable' | 'PolicyMismatch'> = {
  'D-conformance-signature-mismatch_fail': 'Invalid',
  'D-conformance-set-invalid-signature_fail': 'Invalid',
  'D-conformance-invalid-inclusion-proof_fail': 'Invalid',
  'D-conformance-checkpoint-wrong-roothash_fail': 'Invalid',
  'D-conformance-wrong-material_fail': 'Invalid',
  'D-conformance-message-digest-mismatch_fail': 'Invalid',
  'D-conformance-bundle-from-wrong-instance_fail': 'Unverifiable', // staging CA: not in our root
  'D-conformance-dsse-invalid-sig_fail': 'Invalid',
  'D-conformance-dsse-mismatch-envelope_fail': 'Invalid',
  'D-conformance-integrated-time-in-future_fail': 'Invalid', // trusted CA, cert not valid then
  'D-gh-sigstore-bundle-invalid-signature': 'Invalid',
  'D-java-expired-cert': 'Invalid',
  'D-npm-provenance-sigstore-2.1.0-wrong-identity': 'PolicyMismatch',
  'D-gh-instance-attest-demo-missing-cert': 'Invalid',
  'D-npm-provenance-sigstore-2.0.0-wrong-issuer': 'PolicyMismatch',
  'D-conformance-bundle-invalid-base64-signature_fail': 'Invalid',
  'D-conformance-bundle-negative-log-index_fail': 'Invalid',
  'D-conformance-bundle-unknown-version_fail': 'Unverifiable', // a format we do not support
  'D-conformance-bundle-malformed-json_fail': 'Invalid',
  'D-conformance-bundle-empty-certificate-chain_fail': 'Invalid',
  'D-conformance-checkpoint-bad-keyhint_fail': 'Invalid',
  'D-conformance-wrong-hashedrekord-artifact_fail': 'Invalid',
  'D-conformance-wrong-hashedrekord-cert-and-sig_fail': 'Invalid',
  // No key given, but its entry in the public-good log records the key and verifies: KeySigned by
  // that key (DESIGN §3), which is not the expected keyless signer of the case's policy.
  'D-conformance-managed-key-no-key_fail': 'PolicyMismatch',
  'D-java-wrong-tlog-entry': 'Invalid',
  'D-java-dsse-mismatched-envelope': 'Invalid',
  'D-conformance-rekor2-no-timestamp_fail': 'Unverifiable', // not enough evidence for the policy
  'D-chainguard-node-digest-mismatch': 'Invalid', // replay onto another digest
  'D-chainguard-static-wrong-identity': 'PolicyMismatch',
  'D-ratify-wabbitnetworks-corrupted-set': 'Invalid',
  'D-connaisseur-testimage-3-keys-unknown-key': 'Unverifiable',
};

/** Cases verified through the key their log entry records (no key given): the key file it must be. */
const LOGGED_KEY: Record<string, string> = {
  'D-conformance-managed-key-no-key_fail': 'bundles/C-conformance-managed-key-happy-path/key.pub',
};

const scratch = mkdtempSync(join(tmpdir(), 'signwarden-sigstore-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A PEM file for a key of npm's keys.json (the npm publish attestation case). */
function npmKeyFile(keysJson: string, keyId: string, usage: string | undefined): string {
  const keys = (
    JSON.parse(readFileSync(fixture(keysJson), 'utf8')) as {
      keys: { keyId: string; keyUsage: string; publicKey: { rawBytes: string } }[];
    }
  ).keys;
  const entry = keys.find((k) => k.keyId === keyId && (usage === undefined || k.keyUsage === usage));
  if (!entry) throw new Error(`no key ${keyId} in ${keysJson}`);
  const pem = createPublicKey({
    key: Buffer.from(entry.publicKey.rawBytes, 'base64'),
    format: 'der',
    type: 'spki',
  })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  const file = join(scratch, `${keyId.replace(/[^A-Za-z0-9]/g, '_')}.pem`);
  writeFileSync(file, pem);
  return file;
}

/** The command line a user would type for this case. */
function argvFor(c: FixtureCase): string[] {
  const argv = [
    '--bundle',
    fixture(c.path),
    '--trusted-root',
    fixture(c.trustedRoot ?? ''),
    '--output',
    'json',
  ];
  const subjectDigest = Object.entries(c.subjects?.[0]?.digest ?? {})[0];
  if (c.artifact) argv.push('--artifact', fixture(c.artifact));
  else if (c.expectedDigest) argv.push('--digest', `${c.expectedDigest.algorithm}:${c.expectedDigest.hex}`);
  else if (subjectDigest) argv.push('--digest', `${subjectDigest[0]}:${subjectDigest[1]}`);
  // Nothing names the artifact (two upstream negatives): any digest, the case must fail anyway.
  else argv.push('--digest', `sha256:${'0'.repeat(64)}`);
  for (const [keyId, key] of Object.entries(c.keys ?? {})) {
    if (key.file) argv.push('--key', fixture(key.file));
    else if (key.npmKeysJson) argv.push('--key', npmKeyFile(key.npmKeysJson, keyId, key.keyUsage));
  }
  // Key-signed cases: the keys are the expected signers. Keyless: the case's identity and issuer.
  if (c.policy && !c.keys) argv.push('--identity', c.policy.san, '--issuer', c.policy.issuer);
  return argv;
}

type Report = VerificationResult & { policy?: { matched: boolean; reason?: string } };

async function runCommand(argv: string[]): Promise<{ code: number; report: Report; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await verifyBundleCommand(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
  });
  return { code, report: (stdout ? JSON.parse(stdout) : {}) as Report, stderr };
}

const pemKey = (pem: string): TrustedKey => {
  const key = parsePublicKey(pem);
  if ('error' in key) throw new Error(key.error);
  return key;
};
const keyFile = (path: string): TrustedKey => pemKey(readFileSync(fixture(path), 'utf8'));

const loadRoot = (path: string): TrustRoot => {
  const parsed = parseTrustedRoot(readFileSync(fixture(path), 'utf8'), path);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
};

describe('fixture trusted roots', () => {
  it.each(
    cases
      .filter((c) => c.type === 'trusted-root' && c.path.endsWith('trusted_root.json'))
      .map((c) => [c.id, c]),
  )('%s parses', (_id, c) => {
    expect(loadRoot(c.path).material.certificateAuthorities.length).toBeGreaterThan(0);
  });
});

describe('bundle cases through verify-bundle', () => {
  it('covers every bundle case', () => {
    expect(bundleCases.length).toBeGreaterThanOrEqual(51);
  });

  it.each(bundleCases.map((c) => [c.id, c]))('%s', async (_id, c) => {
    // The command derives the thresholds from the root: they must be the case's.
    expect(defaultThresholds(loadRoot(c.trustedRoot ?? ''))).toEqual({
      tlogThreshold: 1,
      ctlogThreshold: 1,
      timestampThreshold: 1,
      ...c.verifierOptions,
    });
    const { code, report, stderr } = await runCommand(argvFor(c));
    expect(stderr).toBe('');
    if (c.expect === 'pass') {
      expect(report, JSON.stringify(report)).toMatchObject({
        outcome: 'Verified',
        policy: { matched: true },
      });
      expect(code).toBe(0);
      if (report.outcome !== 'Verified') return;
      if (c.keys) {
        expect(report.signer.kind).toBe('Key');
      } else {
        expect(report.signer).toMatchObject({
          kind: 'Keyless',
          identity: c.policy?.san,
          issuer: c.policy?.issuer,
        });
      }
      return;
    }
    expect(code).toBe(1);
    expect(report.outcome === 'Verified' && report.policy?.matched !== false).toBe(false);
    const expected = EXPECTED_FAILURE[c.id];
    if (expected === 'PolicyMismatch')
      expect(report).toMatchObject({ outcome: 'Verified', policy: { matched: false } });
    else if (expected) expect(report.outcome, JSON.stringify(report)).toBe(expected);
    const logged = LOGGED_KEY[c.id];
    if (logged)
      expect(report).toMatchObject({ signer: { kind: 'Key', fingerprint: keyFile(logged).fingerprint } });
  });
});

describe('legacy cosign cases through legacy-cosign.ts', () => {
  interface SignatureManifest {
    layers: (LegacySignatureLayer & { payloadFile: string })[];
  }

  it.each(legacyCases.map((c) => [c.id, c]))('%s', (_id, c) => {
    const manifest = JSON.parse(
      readFileSync(fixture(`${c.path}/signature.json`), 'utf8'),
    ) as SignatureManifest;
    const imageDigest = parseDigest(c.imageUnderTest?.digest ?? '') as ArtifactDigest;
    expect(imageDigest).toHaveProperty('hex');
    const keys: TrustedKey[] = [];
    let policy: SignerPolicy | { error: string };
    if (c.publicKey) {
      const key = parsePublicKey(readFileSync(fixture(c.publicKey), 'utf8'));
      if ('error' in key) throw new Error(key.error);
      keys.push(key);
      policy = compileSignerPolicy({ kind: 'Key', fingerprint: key.fingerprint });
    } else {
      policy = compileSignerPolicy({
        kind: 'Keyless',
        issuer: c.policy?.issuer ?? '',
        subject: c.policy?.san ?? '',
      });
    }
    if ('error' in policy) throw new Error(policy.error);
    expect(defaultThresholds(loadRoot(c.trustedRoot ?? ''))).toEqual({
      tlogThreshold: 1,
      ctlogThreshold: 1,
      timestampThreshold: 1,
      ...c.verifierOptions,
    });

    const results = verifyLegacySignatures(
      manifest.layers.map((layer) => ({
        layer,
        payload: readFileSync(fixture(`${c.path}/${layer.payloadFile}`)),
      })),
      { imageDigest, trust: loadRoot(c.trustedRoot ?? ''), keys },
    );
    const accepted = results.filter((r) => r.outcome === 'Verified' && matchSigner(r.signer, policy).matched);
    if (c.expect === 'pass') {
      expect(accepted.length, JSON.stringify(results)).toBeGreaterThan(0);
      return;
    }
    expect(accepted, JSON.stringify(results)).toEqual([]);
    const expected = EXPECTED_FAILURE[c.id];
    if (expected === 'PolicyMismatch') expect(results.map((r) => r.outcome)).toContain('Verified');
    else if (expected) expect(results.map((r) => r.outcome)).toEqual(results.map(() => expected));
  });
});

describe('key-signed legacy cosign signatures without the key', () => {
  interface SignatureManifest {
    layers: (LegacySignatureLayer & { payloadFile: string })[];
  }
  const keyCases = cases.filter((c) => c.type === 'cosign-legacy-key');

  it('covers the key-signed cases', () => {
    expect(keyCases.map((c) => c.id)).toEqual([
      'B-connaisseur-testimage-3-keys',
      'D-connaisseur-testimage-3-keys-unknown-key',
    ]);
  });

  // None of these layers carries a Rekor bundle annotation, so no log vouches for a key: without a
  // pinned key there is nothing to verify them with.
  it.each(keyCases.map((c) => [c.id, c]))('%s: every layer is Unverifiable', (_id, c) => {
    const manifest = JSON.parse(
      readFileSync(fixture(`${c.path}/signature.json`), 'utf8'),
    ) as SignatureManifest;
    expect(manifest.layers.every((l) => l.annotations[ANNOTATION_BUNDLE] === undefined)).toBe(true);
    const results = verifyLegacySignatures(
      manifest.layers.map((layer) => ({
        layer,
        payload: readFileSync(fixture(`${c.path}/${layer.payloadFile}`)),
      })),
      {
        imageDigest: parseDigest(c.imageUnderTest?.digest ?? '') as ArtifactDigest,
        trust: loadRoot(c.trustedRoot ?? ''),
      },
    );
    expect(results.map((r) => r.outcome)).toEqual(manifest.layers.map(() => 'Unverifiable'));
  });
});

describe('a key-signed legacy cosign signature through the key its Rekor entry records', () => {
  // E-rekor-v1-entry-hashedrekord-production is the Rekor entry of a key-signed `cosign sign --key`
  // signature (the entry records a public key, not a certificate). Its signed payload is not in the
  // fixtures; it is rebuilt byte-exact from what `cosign verify` printed for it in the fixture's
  // source (JonZeolla/JonZeolla.github.io docs/labs/container-security-101.md): its sha256 is the
  // digest the entry logs. The layer is what cosign stores, with this response's SET as promise.
  const c = cases.find((x) => x.id === 'E-rekor-v1-entry-hashedrekord-production');
  const response = Object.values(
    JSON.parse(readFileSync(fixture(c?.path ?? ''), 'utf8')) as Record<
      string,
      {
        body: string;
        integratedTime: number;
        logID: string;
        logIndex: number;
        verification: { signedEntryTimestamp: string };
      }
    >,
  )[0]!;
  const body = JSON.parse(Buffer.from(response.body, 'base64').toString('utf8')) as {
    spec: {
      data: { hash: { value: string } };
      signature: { content: string; publicKey: { content: string } };
    };
  };
  const imageDigest = parseDigest(
    'sha256:8f5a0b6ab1511420fc6e00d01ca5bc4c87bb49d631c95e12d254f8c4831134c9',
  ) as ArtifactDigest;
  const payload = Buffer.from(
    `{"critical":{"identity":{"docker-reference":"registry:443/example-secure"},"image":{"docker-manifest-digest":"sha256:${imageDigest.hex}"},"type":"cosign container image signature"},"optional":{"tag":"latest"}}`,
  );
  const annotation = (set: string): string =>
    JSON.stringify({
      SignedEntryTimestamp: set,
      Payload: {
        body: response.body,
        integratedTime: response.integratedTime,
        logIndex: response.logIndex,
        logID: response.logID,
      },
    });
  const tampered = (set: string): string => {
    const bytes = Buffer.from(set, 'base64');
    bytes[40] = (bytes[40] ?? 0) ^ 0x01;
    return bytes.toString('base64');
  };
  const layer = (bundle: string | undefined): LegacySignatureLayer => ({
    mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
    digest: `sha256:${body.spec.data.hash.value}`,
    annotations: {
      [ANNOTATION_SIGNATURE]: body.spec.signature.content,
      ...(bundle === undefined ? {} : { [ANNOTATION_BUNDLE]: bundle }),
    },
  });
  const loggedKey = pemKey(Buffer.from(body.spec.signature.publicKey.content, 'base64').toString('utf8'));

  it('rebuilds the signed payload byte-exact', () => {
    expect(createHash('sha256').update(payload).digest('hex')).toBe(body.spec.data.hash.value);
    expect(loggedKey.fingerprint).toBe(
      'sha256:a158e8e6fe4ac973529a9e18f0eed1e3609ac6fb6664446bfa98e7d78cc6a784',
    );
  });

  it.each<[string, LegacySignatureLayer, string, VerificationResult['outcome']]>([
    [
      'its Rekor annotation, no key given',
      layer(annotation(response.verification.signedEntryTimestamp)),
      'public-good.trusted_root.json',
      'Verified',
    ],
    [
      'its SET tampered',
      layer(annotation(tampered(response.verification.signedEntryTimestamp))),
      'public-good.trusted_root.json',
      'Invalid',
    ],
    ['its annotation removed', layer(undefined), 'public-good.trusted_root.json', 'Unverifiable'],
    [
      'a root without its log (staging)',
      layer(annotation(response.verification.signedEntryTimestamp)),
      'staging.trusted_root.json',
      'Unverifiable',
    ],
  ])('%s', (_name, signature, root, outcome) => {
    const [result] = verifyLegacySignatures([{ layer: signature, payload }], {
      imageDigest,
      trust: loadRoot(`trusted-roots/${root}`),
    });
    expect(result?.outcome, JSON.stringify(result)).toBe(outcome);
    if (result?.outcome !== 'Verified') return;
    expect(result.signer).toEqual({ kind: 'Key', fingerprint: loggedKey.fingerprint });
    // The log vouches for the key, not for the signer: a pin on another key does not match it.
    const pin = compileSignerPolicy({
      kind: 'Key',
      fingerprint: keyFile('keys/connaisseur-bob.pub').fingerprint,
    });
    if ('error' in pin) throw new Error(pin.error);
    expect(matchSigner(result.signer, pin).matched).toBe(false);
  });
});

describe('verify-bundle command line', () => {
  const bundle = fixture('bundles/C-conformance-happy-path-v0.3/bundle.sigstore.json');
  const identity =
    'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
  const issuer = 'https://token.actions.githubusercontent.com';

  async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await verifyBundleCommand(argv, {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
    });
    return { code, stdout, stderr };
  }

  it('prints the outcome, the signer and the policy match as text', async () => {
    const { code, stdout } = await run([
      '--bundle',
      bundle,
      '--artifact',
      fixture('artifacts/a.txt'),
      '--identity',
      identity,
      '--issuer',
      issuer,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('outcome: Verified\nsigner: keyless\n');
    expect(stdout).toContain(`identity: ${identity}\nissuer: ${issuer}\n`);
    expect(stdout).toContain(
      'github.workflowRepository: sigstore-conformance/extremely-dangerous-public-oidc-beacon\n',
    );
    expect(stdout).toMatch(/policy: matched\n$/);
  });

  it('reports the signer when no policy is given (the embedded public-good root by default)', async () => {
    const { code, stdout } = await run(['--bundle', bundle, '--artifact', fixture('artifacts/a.txt')]);
    expect(code).toBe(0);
    expect(stdout).toContain('policy: none given');
  });

  it.each([
    ['an unanchored fragment', ['--identity-regexp', 'sigstore-conformance', '--issuer', issuer]],
    ['a substring as exact identity', ['--identity', 'sigstore-conformance', '--issuer', issuer]],
    ['another issuer', ['--identity', identity, '--issuer', 'https://accounts.google.com']],
  ])('exits 1 on a policy mismatch: %s', async (_name, policy) => {
    const { code, stdout } = await run([
      '--bundle',
      bundle,
      '--artifact',
      fixture('artifacts/a.txt'),
      ...policy,
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain('outcome: Verified');
    expect(stdout).toContain('policy: not matched: ');
  });

  it('accepts an anchored pattern covering the whole identity', async () => {
    const pattern = 'https://github\\.com/sigstore-conformance/.+@refs/heads/main';
    const { code } = await run([
      '--bundle',
      bundle,
      '--artifact',
      fixture('artifacts/a.txt'),
      '--identity-regexp',
      pattern,
      '--issuer',
      issuer,
    ]);
    expect(code).toBe(0);
  });

  it('exits 1 and says why when verification fails', async () => {
    const { code, stdout } = await run([
      '--bundle',
      bundle,
      '--artifact',
      fixture('bundles/D-conformance-wrong-material_fail/artifact'),
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^outcome: Invalid\nreason: signature does not verify/);
  });

  it('expects a key signature when keys are given', async () => {
    const { code, stdout } = await run([
      '--bundle',
      bundle,
      '--artifact',
      fixture('artifacts/a.txt'),
      '--key',
      fixture('keys/connaisseur-bob.pub'),
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain('policy: not matched: expected a key signature');
  });

  it.each([
    ['no bundle', ['--digest', `sha256:${'0'.repeat(64)}`]],
    ['neither digest nor artifact', ['--bundle', bundle]],
    [
      'both digest and artifact',
      ['--bundle', bundle, '--digest', `sha256:${'0'.repeat(64)}`, '--artifact', bundle],
    ],
    ['a malformed digest', ['--bundle', bundle, '--digest', 'sha256:abc']],
    ['identity without issuer', ['--bundle', bundle, '--artifact', bundle, '--identity', identity]],
    ['issuer without identity', ['--bundle', bundle, '--artifact', bundle, '--issuer', issuer]],
    [
      'both identity forms',
      [
        '--bundle',
        bundle,
        '--artifact',
        bundle,
        '--identity',
        'a',
        '--identity-regexp',
        'a',
        '--issuer',
        issuer,
      ],
    ],
    [
      'a pattern that does not compile',
      ['--bundle', bundle, '--artifact', bundle, '--identity-regexp', '(', '--issuer', issuer],
    ],
    ['an unknown flag', ['--bundle', bundle, '--artifact', bundle, '--bogus']],
    ['a positional argument', ['--bundle', bundle, '--artifact', bundle, 'extra']],
    ['an unknown output', ['--bundle', bundle, '--artifact', bundle, '--output', 'yaml']],
    ['a missing file', ['--bundle', fixture('nope.json'), '--artifact', bundle]],
    ['a key that is not a public key', ['--bundle', bundle, '--artifact', bundle, '--key', bundle]],
    ['a malformed trusted root', ['--bundle', bundle, '--artifact', bundle, '--trusted-root', bundle]],
  ])('exits 2 with one line for %s', async (_name, argv) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^signwarden verify-bundle: [^\n]+\n$/);
  });
});
