// Every posture of DESIGN.md §3, judged by judgeDigest — the code path the operator runs in a
// cluster — against real signatures in the run's registry: cosign's own (key pairs, both formats),
// keyless ones from the test Sigstore (both formats, and their tampered variants), multi-arch
// indexes, and the real public-good legacy cosign signatures of the shared fixtures, published as
// signature-only mirrors under their real digests.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { VerifiedSigner } from '../../src/core/observation.ts';
import { judgeDigest } from '../../src/observe/judge-digest.ts';
import type { JudgeTarget, Judgement } from '../../src/observe/judge-digest.ts';
import { RegistryClient } from '../../src/registry/registry-client.ts';
import { parsePublicKey } from '../../src/sigstore/public-key.ts';
import type { TrustedKey } from '../../src/sigstore/public-key.ts';
import { parseTrustedRoot, publicGoodTrustRoot } from '../../src/sigstore/trusted-root.ts';
import type { TrustRoot } from '../../src/sigstore/trusted-root.ts';
import { mediaTypes, pushBlob, pushManifest } from './harness/oci.ts';
import type { CosignKeyPair } from './harness/signing/cosign.ts';
import { cosignKeyPair, cosignSign } from './harness/signing/cosign.ts';
import type { Image } from './harness/signing/publish.ts';
import {
  publishBundle,
  publishLegacySignature,
  pushMultiArchIndex,
  pushRandomImage,
  signatureTag,
} from './harness/signing/publish.ts';
import type { Signer, TestSigstore } from './harness/signing/test-sigstore.ts';
import {
  createTestSigstore,
  withFlippedBundleSignature,
  withFlippedSignature,
} from './harness/signing/test-sigstore.ts';
import { githubIssuer, releaseSigner, releaseWorkflow } from './harness/signing/release-signer.ts';
import { sigstoreFixture } from '../shared-fixtures.ts';

const host = inject('registryHost');
const run = randomBytes(4).toString('hex');
const repo = (name: string): string => `postures-${run}/${name}`;
const registry = new RegistryClient({ insecureRegistries: [host] });

const workflow = releaseWorkflow;
const signer = releaseSigner;
const expectedSigner: VerifiedSigner = {
  kind: 'Keyless',
  identity: workflow,
  issuer: githubIssuer,
  github: {
    workflowRepository: 'acme/app',
    workflowRef: 'refs/heads/main',
    workflowTrigger: 'push',
    workflowName: 'release',
    workflowSha: 'a'.repeat(40),
  },
};

let sigstore: TestSigstore;
let testRoot: TrustRoot;
let key: CosignKeyPair;
let trustedKey: TrustedKey;

beforeAll(async () => {
  [sigstore, key] = await Promise.all([createTestSigstore(), cosignKeyPair()]);
  const root = parseTrustedRoot(JSON.stringify(sigstore.trustedRoot), sigstore.trustedRootPath);
  if ('error' in root) throw new Error(root.error);
  testRoot = root;
  const parsed = parsePublicKey(key.publicKeyPem);
  if ('error' in parsed) throw new Error(parsed.error);
  trustedKey = parsed;
});
afterAll(async () => {
  await Promise.all([sigstore?.remove(), key?.remove()]);
});

interface JudgeOptions {
  trust?: TrustRoot;
  keys?: readonly TrustedKey[];
  target?: Partial<JudgeTarget>;
}

/** judgeDigest as the operator calls it, on an image of the run's registry. */
function judge(image: Pick<Image, 'repository' | 'digest'>, opts: JudgeOptions = {}): Promise<Judgement> {
  return judgeDigest(
    { registry, trust: opts.trust ?? testRoot, keys: opts.keys ?? [] },
    { registry: host, repository: image.repository, digest: image.digest, ...opts.target },
  );
}

const legacy = (image: Image, opts: { signer?: Signer; claimedDigest?: string } = {}) =>
  sigstore.signLegacy({ repository: image.name, digest: image.digest, signer, ...opts });
const bundle = (image: Image, opts: { signer?: Signer; claimedDigest?: string } = {}) =>
  sigstore.signBundle({ digest: image.digest, signer, ...opts });
const otherDigest = (): string => `sha256:${randomBytes(32).toString('hex')}`;

describe('cosign key pairs', () => {
  it.each([
    ['legacy', 'LegacySigTag'],
    ['bundle', 'ReferrersTag'],
  ] as const)(
    '%s format: KeySigned with the key fingerprint, Unverifiable without the key',
    async (format, location) => {
      const image = await pushRandomImage(host, repo(`key-${format}`));
      await cosignSign(image.ref, { key, format });

      const withKey = await judge(image, { trust: publicGoodTrustRoot(), keys: [trustedKey] });
      expect(withKey, JSON.stringify(withKey)).toMatchObject({
        digest: image.digest,
        posture: 'KeySigned',
        signers: [{ kind: 'Key', fingerprint: trustedKey.fingerprint }],
        location,
        signedDigest: image.digest,
      });
      const withoutKey = await judge(image, { trust: publicGoodTrustRoot() });
      expect(withoutKey, JSON.stringify(withoutKey)).toMatchObject({
        posture: 'Unverifiable',
        signers: [],
        location,
      });
    },
  );
});

describe('keyless signatures of the test Sigstore', () => {
  it.each([
    ['legacy', 'LegacySigTag'],
    ['bundle', 'ReferrersTag'],
  ] as const)('%s format: Signed with identity, issuer and GitHub claims', async (format, location) => {
    const image = await pushRandomImage(host, repo(`keyless-${format}`));
    if (format === 'legacy') await publishLegacySignature(image, await legacy(image));
    else await publishBundle(image, await bundle(image));

    const judged = await judge(image);
    expect(judged).toEqual({
      digest: image.digest,
      posture: 'Signed',
      signers: [expectedSigner],
      location,
      signedDigest: image.digest,
    });
    // The public-good root does not know the test Sigstore: a signature, but not one we can check.
    expect((await judge(image, { trust: publicGoodTrustRoot() })).posture).toBe('Unverifiable');
  });

  it('an e-mail identity of another issuer has no GitHub claims', async () => {
    const image = await pushRandomImage(host, repo('keyless-email'));
    const email = { subject: 'dev@example.com', issuer: 'https://accounts.google.com' };
    await publishBundle(image, await bundle(image, { signer: email }));
    expect((await judge(image)).signers).toEqual([
      { kind: 'Keyless', identity: 'dev@example.com', issuer: 'https://accounts.google.com' },
    ]);
  });

  it('legacy and bundle signatures by the same signer: Signed, one signer', async () => {
    const image = await pushRandomImage(host, repo('both-formats'));
    await publishLegacySignature(image, await legacy(image));
    await publishBundle(image, await bundle(image));
    const judged = await judge(image);
    expect(judged.posture).toBe('Signed');
    expect(judged.signers).toEqual([expectedSigner]);
  });
});

describe('no signature', () => {
  it('Unsigned: nothing in any place', async () => {
    const image = await pushRandomImage(host, repo('unsigned'));
    expect(await judge(image)).toEqual({ digest: image.digest, posture: 'Unsigned', signers: [] });
  });
});

describe('tampered signatures', () => {
  type Publish = (image: Image) => Promise<void>;
  const publishLegacy =
    (make: (image: Image) => ReturnType<typeof legacy>): Publish =>
    async (image) => {
      await publishLegacySignature(image, await make(image));
    };
  const publishBundled =
    (make: (image: Image) => ReturnType<typeof bundle>): Publish =>
    async (image) => {
      await publishBundle(image, await make(image));
    };
  const untrustedCa = { ...signer, ca: 'untrusted' as const };
  const noCodeSigning = { ...signer, eku: false };
  const serverAuthOnly = { ...signer, eku: ['serverAuth'] };

  /** A signature made, correctly, for an image of another repository, published onto this one. */
  const replayed =
    (format: 'legacy' | 'bundle'): Publish =>
    async (image) => {
      const original = await pushRandomImage(host, repo('replay-source'));
      if (format === 'legacy') await publishLegacySignature(image, await legacy(original));
      else await publishBundle(image, await bundle(original));
    };

  const cases: [string, Publish, 'Invalid' | 'Unverifiable', RegExp][] = [
    [
      'legacy: payload naming another digest',
      publishLegacy((image) => legacy(image, { claimedDigest: otherDigest() })),
      'Invalid',
      /payload signs sha256:/,
    ],
    [
      'bundle: statement naming another digest',
      publishBundled((image) => bundle(image, { claimedDigest: otherDigest() })),
      'Invalid',
      /no in-toto subject names/,
    ],
    [
      'legacy: a flipped signature byte',
      publishLegacy(async (image) => withFlippedSignature(await legacy(image))),
      'Invalid',
      /entry does not match the signature/,
    ],
    [
      'bundle: a flipped signature byte',
      publishBundled(async (image) => withFlippedBundleSignature(await bundle(image))),
      'Invalid',
      /entry does not match the signature/,
    ],
    [
      'legacy: a certificate from an untrusted CA',
      publishLegacy((image) => legacy(image, { signer: untrustedCa })),
      'Unverifiable',
      /CA not in trusted root/,
    ],
    [
      'bundle: a certificate from an untrusted CA',
      publishBundled((image) => bundle(image, { signer: untrustedCa })),
      'Unverifiable',
      /CA not in trusted root/,
    ],
    ['legacy: replayed from an image of another repository', replayed('legacy'), 'Invalid', /payload signs/],
    [
      'bundle: replayed from an image of another repository',
      replayed('bundle'),
      'Invalid',
      /in-toto subject/,
    ],
    [
      'legacy: no code-signing extended key usage',
      publishLegacy((image) => legacy(image, { signer: noCodeSigning })),
      'Invalid',
      /code-signing/,
    ],
    [
      'bundle: no code-signing extended key usage',
      publishBundled((image) => bundle(image, { signer: noCodeSigning })),
      'Invalid',
      /code-signing/,
    ],
    [
      'bundle: an extended key usage other than code signing',
      publishBundled((image) => bundle(image, { signer: serverAuthOnly })),
      'Invalid',
      /code-signing/,
    ],
  ];

  it.each(cases)('%s → %s', async (_name, publish, posture, detail) => {
    const image = await pushRandomImage(host, repo('tampered'));
    await publish(image);
    const judged = await judge(image);
    expect(judged, JSON.stringify(judged)).toMatchObject({
      posture,
      signers: [],
      signedDigest: image.digest,
    });
    expect(judged.detail).toMatch(detail);
  });

  it('a valid signature beside a tampered one still wins: junk cannot turn an image Invalid', async () => {
    const image = await pushRandomImage(host, repo('tampered-beside-valid'));
    await publishLegacySignature(image, [
      withFlippedSignature(await legacy(image)),
      await legacy(image, { claimedDigest: otherDigest() }),
      await legacy(image),
    ]);
    expect((await judge(image)).posture).toBe('Signed');
  });
});

describe('multi-arch', () => {
  it('signed only at the index: the index is Signed, each platform through it too, carried by the index', async () => {
    const { index, platforms } = await pushMultiArchIndex(host, repo('index-signed'));
    await publishBundle(index, await bundle(index));

    expect(await judge(index)).toMatchObject({
      digest: index.digest,
      posture: 'Signed',
      signedDigest: index.digest,
      location: 'ReferrersTag',
    });
    for (const platform of platforms) {
      const through = await judge(platform, { target: { indexDigest: index.digest } });
      expect(through).toMatchObject({
        digest: platform.digest,
        posture: 'Signed',
        signers: [expectedSigner],
        signedDigest: index.digest,
      });
      // Pulled by itself, the platform image carries no signature of its own.
      expect((await judge(platform)).posture).toBe('Unsigned');
    }
  });

  it('signed only per platform: each platform Signed, the index as a whole Signed', async () => {
    const { index, platforms } = await pushMultiArchIndex(host, repo('platforms-signed'));
    for (const platform of platforms) await publishLegacySignature(platform, await legacy(platform));

    for (const platform of platforms)
      expect(await judge(platform)).toMatchObject({ posture: 'Signed', signedDigest: platform.digest });
    const whole = await judge(index);
    expect(whole).toMatchObject({ digest: index.digest, posture: 'Signed', signers: [expectedSigner] });
    expect(platforms.map((p) => p.digest)).toContain(whole.signedDigest);
    expect(whole.platforms).toEqual(
      platforms.map((p, i) => ({
        digest: p.digest,
        platform: ['linux/amd64', 'linux/arm64'][i],
        posture: 'Signed',
        signedDigest: p.digest,
      })),
    );
  });

  it('one platform unsigned: the index is not Signed', async () => {
    const { index, platforms } = await pushMultiArchIndex(host, repo('platform-unsigned'));
    const [signed, unsigned] = platforms as [Image, Image];
    await publishBundle(signed, await bundle(signed));

    const whole = await judge(index);
    expect(whole.posture).toBe('Unsigned');
    expect(whole.platforms?.map((p) => [p.digest, p.posture])).toEqual([
      [signed.digest, 'Signed'],
      [unsigned.digest, 'Unsigned'],
    ]);
  });

  it("an index's own invalid signature is not hidden by an unsigned platform", async () => {
    const { index, platforms } = await pushMultiArchIndex(host, repo('index-invalid'));
    await publishLegacySignature(index, await legacy(index, { claimedDigest: otherDigest() }));
    await publishLegacySignature(platforms[0]!, await legacy(platforms[0]!));

    const whole = await judge(index);
    expect(whole).toMatchObject({ posture: 'Invalid', signedDigest: index.digest });
  });
});

describe('signatures in another repository (COSIGN_REPOSITORY)', () => {
  it('reads signatures from the signature repository, manifests from the image repository', async () => {
    const image = await pushRandomImage(host, repo('elsewhere/image'));
    const signatures = { host, repository: repo('elsewhere/signatures') };
    await publishLegacySignature({ ...signatures, digest: image.digest }, await legacy(image));
    await publishBundle({ ...signatures, descriptor: image.descriptor }, await bundle(image));

    const signatureRepository = { registry: host, repository: signatures.repository };
    const judged = await judge(image, { target: { signatureRepository } });
    expect(judged).toMatchObject({ posture: 'Signed', signers: [expectedSigner] });
    expect(judged.note).toBeUndefined();
    expect((await judge(image)).posture).toBe('Unsigned');
  });

  it('an index signed per platform, its signatures elsewhere', async () => {
    const { index, platforms } = await pushMultiArchIndex(host, repo('elsewhere-index/image'));
    const signatures = repo('elsewhere-index/signatures');
    for (const platform of platforms)
      await publishLegacySignature(
        { host, repository: signatures, digest: platform.digest },
        await legacy(platform),
      );
    const judged = await judge(index, {
      target: { signatureRepository: { registry: host, repository: signatures } },
    });
    expect(judged.posture).toBe('Signed');
    expect(judged.platforms?.map((p) => p.posture)).toEqual(['Signed', 'Signed']);
  });
});

// The shared fixtures: real public-good legacy cosign signatures (and key-signed ones), published
// under the real digest's `.sig` tag in a repository of their own, without the image itself.
const fixture = sigstoreFixture;

interface LegacyCase {
  id: string;
  type: 'cosign-legacy' | 'cosign-legacy-key';
  path: string;
  expect: 'pass' | 'fail';
  imageUnderTest: { ref: string; digest: string };
  policy?: { san: string; issuer: string };
  publicKey?: string;
}

interface FixtureLayer {
  mediaType: string;
  digest: string;
  size: number;
  payloadFile: string;
  annotations: Record<string, string>;
}

const legacyCases = (
  JSON.parse(readFileSync(fixture('cases.json'), 'utf8')) as { cases: { type: string }[] }
).cases.filter((c): c is LegacyCase => c.type === 'cosign-legacy' || c.type === 'cosign-legacy-key');

/** How each negative fixture case must come out (the fixtures only say "fail"). */
const FAILURE: Record<string, 'Invalid' | 'Unverifiable' | 'OtherSigner'> = {
  'D-chainguard-node-digest-mismatch': 'Invalid',
  'D-chainguard-static-wrong-identity': 'OtherSigner',
  'D-ratify-wabbitnetworks-corrupted-set': 'Invalid',
  'D-connaisseur-testimage-3-keys-unknown-key': 'Unverifiable',
};

/** Publishes a fixture's signature manifest and payload blobs as a signature-only mirror. */
async function publishFixture(c: LegacyCase): Promise<{ repository: string; digest: string }> {
  const repository = `postures-fixtures-${run}/${c.id.toLowerCase()}`;
  const manifest = JSON.parse(readFileSync(fixture(`${c.path}/signature.json`), 'utf8')) as {
    layers: FixtureLayer[];
  };
  const url = `http://${host}`;
  const layers = [];
  for (const layer of manifest.layers) {
    const pushed = await pushBlob(
      url,
      repository,
      layer.mediaType,
      readFileSync(fixture(`${c.path}/${layer.payloadFile}`)),
    );
    expect(pushed).toEqual({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size });
    layers.push({
      mediaType: layer.mediaType,
      digest: layer.digest,
      size: layer.size,
      annotations: layer.annotations,
    });
  }
  const config = await pushBlob(
    url,
    repository,
    'application/vnd.oci.image.config.v1+json',
    JSON.stringify({
      architecture: '',
      os: '',
      config: {},
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    }),
  );
  const digest = c.imageUnderTest.digest;
  await pushManifest(
    url,
    repository,
    { schemaVersion: 2, mediaType: mediaTypes.manifest, config, layers },
    signatureTag(digest),
  );
  return { repository, digest };
}

describe('shared fixture legacy cosign signatures, as signature-only mirrors', () => {
  it('covers every legacy case', () => {
    expect(legacyCases.length).toBeGreaterThanOrEqual(15);
    for (const c of legacyCases) if (c.expect === 'fail') expect(FAILURE, c.id).toHaveProperty([c.id]);
  });

  it.each(legacyCases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const image = await publishFixture(c);
    const keys: TrustedKey[] = [];
    if (c.publicKey) {
      const parsed = parsePublicKey(readFileSync(fixture(c.publicKey), 'utf8'));
      if ('error' in parsed) throw new Error(parsed.error);
      keys.push(parsed);
    }
    const judged = await judge(image, { trust: publicGoodTrustRoot(), keys });
    // The image manifest is not in the mirror: judged all the same. A digest that is not signed
    // itself could be an index signed per platform: the judgement says that step was skipped.
    if (judged.posture === 'Signed' || judged.posture === 'KeySigned') expect(judged.note).toBeUndefined();
    else expect(judged.note).toMatch(/multi-arch step skipped/);
    const expected: VerifiedSigner | undefined = c.publicKey
      ? { kind: 'Key', fingerprint: keys[0]!.fingerprint }
      : c.policy && { kind: 'Keyless', identity: c.policy.san, issuer: c.policy.issuer };
    const hasExpected = judged.signers.some(
      (s) =>
        (s.kind === 'Key' && expected?.kind === 'Key' && s.fingerprint === expected.fingerprint) ||
        (s.kind === 'Keyless' &&
          expected?.kind === 'Keyless' &&
          s.identity === expected.identity &&
          s.issuer === expected.issuer),
    );

    if (c.expect === 'pass') {
      expect(judged, JSON.stringify(judged)).toMatchObject({
        digest: image.digest,
        posture: c.publicKey ? 'KeySigned' : 'Signed',
        location: 'LegacySigTag',
        signedDigest: image.digest,
      });
      expect(hasExpected, JSON.stringify(judged.signers)).toBe(true);
      if (c.publicKey) {
        // The same signatures without the key: there, but not checkable.
        expect((await judge(image, { trust: publicGoodTrustRoot() })).posture).toBe('Unverifiable');
      }
      return;
    }
    expect(hasExpected && (judged.posture === 'Signed' || judged.posture === 'KeySigned')).toBe(false);
    const failure = FAILURE[c.id];
    if (failure === 'OtherSigner') {
      // Verified, but not by the expected signer.
      expect(judged.posture).toBe('Signed');
      expect(hasExpected).toBe(false);
      expect(judged.signers.length).toBeGreaterThan(0);
    } else {
      expect(judged.posture, JSON.stringify(judged)).toBe(failure);
      expect(judged.signers).toEqual([]);
    }
  });
});
