// Signatures found through the OCI referrers API itself, on a registry that serves it
// (go-containerregistry's, which labels a cosign v3 bundle with its empty config type: the judge
// must still find it), and cosign's own bundle signature there.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { judgeDigest } from '../../src/observe/judge-digest.ts';
import { RegistryClient } from '../../src/registry/registry-client.ts';
import { parseTrustedRoot } from '../../src/sigstore/trusted-root.ts';
import type { TrustRoot } from '../../src/sigstore/trusted-root.ts';
import type { Image } from './harness/signing/publish.ts';
import { publishBundle, pushRandomImage } from './harness/signing/publish.ts';
import type { TestSigstore } from './harness/signing/test-sigstore.ts';
import { createTestSigstore } from './harness/signing/test-sigstore.ts';

const host = inject('referrersRegistryHost');
const run = randomBytes(3).toString('hex');
const signer = {
  subject: 'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v2',
  issuer: 'https://token.actions.githubusercontent.com',
};

describe('the referrers API', () => {
  let sigstore: TestSigstore;
  let trust: TrustRoot;
  const registry = new RegistryClient({ insecureRegistries: [host] });
  const judge = (image: Image) =>
    judgeDigest(
      { registry, trust, keys: [] },
      { registry: host, repository: image.repository, digest: image.digest },
    );

  beforeAll(async () => {
    sigstore = await createTestSigstore();
    const root = parseTrustedRoot(JSON.stringify(sigstore.trustedRoot), 'test');
    if ('error' in root) throw new Error(root.error);
    trust = root;
  });
  afterAll(() => sigstore?.remove());

  it('finds a bundle listed only by the API (no referrers tag) and verifies it', async () => {
    const image = await pushRandomImage(host, `referrers-${run}/api`);
    await publishBundle(image, await sigstore.signBundle({ digest: image.digest, signer }), {
      referrersTag: false,
    });
    const judged = await judge(image);
    expect(judged).toMatchObject({ posture: 'Signed', location: 'ReferrersAPI', signedDigest: image.digest });
    expect(judged.signers).toEqual([
      expect.objectContaining({ identity: signer.subject, issuer: signer.issuer }),
    ]);
  });

  it('an unsigned image there is Unsigned', async () => {
    const image = await pushRandomImage(host, `referrers-${run}/tool`);
    expect((await judge(image)).posture).toBe('Unsigned');
  });
});
