// The registry client against the real registries of the e2e harness: images, indexes, artifacts
// with a subject, tags, blobs and basic authentication as distribution serves them (referrers
// through the referrers tag), and the same against go-containerregistry's registry, which serves
// the referrers API.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RegistryRequestInfo } from '../../src/registry/http-exchange.ts';
import { RegistryClient } from '../../src/registry/registry-client.ts';
import { RegistryError } from '../../src/registry/registry-error.ts';
import type { Descriptor } from './harness/oci.ts';
import { digestOf, mediaTypes, pushBlob, pushManifest } from './harness/oci.ts';
import type { Registry } from './harness/registry.ts';
import { startRegistry } from './harness/registry.ts';

const host = inject('registryHost');
const url = `http://${host}`;
const referrersHost = inject('referrersRegistryHost');
const repository = `client/e2e-${randomBytes(4).toString('hex')}`;
const repo = { registry: host, repository };
const bundleType = 'application/vnd.dev.sigstore.bundle.v0.3+json';

const requests: RegistryRequestInfo[] = [];
const client = new RegistryClient({
  insecureRegistries: [host, referrersHost],
  onRequest: (info) => requests.push(info),
});

async function kindOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryError);
  return (error as RegistryError).kind;
}

const bundleContent = JSON.stringify({
  mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  e2e: true,
});

type Pushed = {
  config: Descriptor;
  image: Descriptor;
  index: Descriptor;
  bundle: Descriptor;
  signature: Descriptor;
};

/**
 * Pushes to `repository` of the registry at `registryUrl`: an image tagged v1, an index of it tagged
 * multi, and a Sigstore bundle as cosign v3 stores it, an artifact (artifactType the bundle's type,
 * the empty config) whose subject is the image.
 */
async function pushImageAndSignature(registryUrl: string): Promise<Pushed> {
  const config = await pushBlob(registryUrl, repository, mediaTypes.empty, '{}');
  const layer = await pushBlob(
    registryUrl,
    repository,
    'application/vnd.oci.image.layer.v1.tar',
    randomBytes(64),
  );
  const image = await pushManifest(
    registryUrl,
    repository,
    {
      schemaVersion: 2,
      mediaType: mediaTypes.manifest,
      config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
      layers: [layer],
    },
    'v1',
  );
  const index = await pushManifest(
    registryUrl,
    repository,
    {
      schemaVersion: 2,
      mediaType: mediaTypes.index,
      manifests: [{ ...image, platform: { architecture: 'amd64', os: 'linux' } }],
    },
    'multi',
  );
  const bundle = await pushBlob(registryUrl, repository, bundleType, bundleContent);
  const signature = await pushManifest(registryUrl, repository, {
    schemaVersion: 2,
    mediaType: mediaTypes.manifest,
    artifactType: bundleType,
    config,
    layers: [bundle],
    subject: image,
  });
  return { config, image, index, bundle, signature };
}

let image: Descriptor;
let index: Descriptor;
let signature: Descriptor;
let bundle: Descriptor;

beforeAll(async () => {
  ({ image, index, signature, bundle } = await pushImageAndSignature(url));
});

describe('RegistryClient against distribution', () => {
  it('gets a manifest by tag and by digest, verified', async () => {
    const byTag = await client.getManifest(repo, 'v1');
    expect(byTag).toMatchObject({ digest: image.digest, mediaType: mediaTypes.manifest, kind: 'manifest' });
    expect(digestOf(byTag.bytes)).toBe(image.digest);
    const byDigest = await client.getManifest(repo, image.digest);
    expect(byDigest.bytes.equals(byTag.bytes)).toBe(true);
    expect(byDigest.kind === 'manifest' && byDigest.manifest.layers).toHaveLength(1);
  });

  it('gets an index', async () => {
    const got = await client.getManifest(repo, 'multi');
    expect(got).toMatchObject({ digest: index.digest, mediaType: mediaTypes.index, kind: 'index' });
    expect(got.kind === 'index' && got.manifest.manifests.map((m) => m.digest)).toEqual([image.digest]);
  });

  it('resolves tags with one HEAD each', async () => {
    requests.length = 0;
    expect(await client.resolveTag(repo, 'v1')).toEqual({
      digest: image.digest,
      mediaType: mediaTypes.manifest,
    });
    expect(await client.resolveTag(repo, 'multi')).toEqual({
      digest: index.digest,
      mediaType: mediaTypes.index,
    });
    expect(requests).toEqual([
      { registry: host, host, method: 'HEAD', status: 200 },
      { registry: host, host, method: 'HEAD', status: 200 },
    ]);
    expect(await kindOf(client.resolveTag(repo, 'no-such-tag'))).toBe('NotFound');
  });

  it('tells an absent legacy signature tag from a present one', async () => {
    const legacyTag = `${image.digest.replace(':', '-')}.sig`;
    expect(await client.manifestExists(repo, legacyTag)).toBe(false);
    expect(await kindOf(client.getManifest(repo, legacyTag))).toBe('NotFound');
    await pushManifest(
      url,
      repository,
      {
        schemaVersion: 2,
        mediaType: mediaTypes.manifest,
        config: { ...bundle, mediaType: mediaTypes.empty },
        layers: [bundle],
      },
      legacyTag,
    );
    expect(await client.manifestExists(repo, legacyTag)).toBe(true);
  });

  it('lists referrers: distribution has no referrers API, so through the referrers tag', async () => {
    // distribution v3.1.2 answers the referrers API with 404 (see harness.e2e.test.ts): the client
    // reads the tag-schema index, which pushers maintain. None is there yet.
    expect(await client.listReferrers(repo, image.digest)).toEqual({ descriptors: [], via: 'ReferrersTag' });
    await pushManifest(
      url,
      repository,
      { schemaVersion: 2, mediaType: mediaTypes.index, manifests: [signature] },
      image.digest.replace(':', '-'),
    );
    expect(await client.listReferrers(repo, image.digest, bundleType)).toEqual({
      descriptors: [signature],
      via: 'ReferrersTag',
    });
    expect(await client.listReferrers(repo, image.digest, 'application/spdx+json')).toEqual({
      descriptors: [],
      via: 'ReferrersTag',
    });
  });

  it('gets a blob, verified, and refuses one that is not there', async () => {
    const got = await client.getBlob(repo, bundle);
    expect(got.toString()).toBe(bundleContent);
    const absent = { ...bundle, digest: digestOf('not pushed') };
    expect(await kindOf(client.getBlob(repo, absent))).toBe('NotFound');
  });

  it('lists tags page by page, bounded', async () => {
    const all = await client.listTags(repo);
    expect(all.truncated).toBe(false);
    expect(all.tags).toEqual(expect.arrayContaining(['v1', 'multi']));
    const firstTwo = await client.listTags(repo, { pageSize: 1, maxPages: 2 });
    expect(firstTwo).toEqual({ tags: all.tags.slice(0, 2), truncated: true });
  });

  it('a repository that does not exist is NotFound', async () => {
    expect(await kindOf(client.getManifest({ registry: host, repository: 'client/absent' }, 'v1'))).toBe(
      'NotFound',
    );
  });
});

describe('RegistryClient against distribution with basic authentication', () => {
  const auth = { username: 'signwarden', password: randomBytes(8).toString('hex') };
  let secured: Registry;
  beforeAll(async () => {
    secured = await startRegistry({ auth });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  it('authenticates with the right credentials and fails with wrong or none', async () => {
    const ref = () => ({ registry: secured.host, repository: 'client/private' });
    const as = (credentials?: { username: string; password: string }) =>
      new RegistryClient({
        insecureRegistries: [secured.host],
        ...(credentials && { credentials: () => Promise.resolve(credentials) }),
      });
    // Authenticated, the registry answers for the repository: it has no such manifest.
    expect(await kindOf(as(auth).getManifest(ref(), 'v1'))).toBe('NotFound');
    expect(await kindOf(as({ ...auth, password: 'wrong' }).getManifest(ref(), 'v1'))).toBe('AuthFailed');
    expect(await kindOf(as().getManifest(ref(), 'v1'))).toBe('AuthFailed');
  });
});

describe('RegistryClient against go-containerregistry, which serves the referrers API', () => {
  const repo = { registry: referrersHost, repository };
  let pushed: Pushed;
  beforeAll(async () => {
    pushed = await pushImageAndSignature(`http://${referrersHost}`);
  });

  it('gets a manifest by tag and by digest, an index, and resolves tags', async () => {
    const byTag = await client.getManifest(repo, 'v1');
    expect(byTag).toMatchObject({
      digest: pushed.image.digest,
      mediaType: mediaTypes.manifest,
      kind: 'manifest',
    });
    expect((await client.getManifest(repo, pushed.image.digest)).bytes.equals(byTag.bytes)).toBe(true);
    const multi = await client.getManifest(repo, 'multi');
    expect(multi).toMatchObject({ digest: pushed.index.digest, mediaType: mediaTypes.index, kind: 'index' });
    requests.length = 0;
    expect((await client.resolveTag(repo, 'v1')).digest).toBe(pushed.image.digest);
    expect(requests).toEqual([{ registry: referrersHost, host: referrersHost, method: 'HEAD', status: 200 }]);
    expect(await kindOf(client.getManifest(repo, 'no-such-tag'))).toBe('NotFound');
    expect(await client.manifestExists(repo, `${pushed.image.digest.replace(':', '-')}.sig`)).toBe(false);
  });

  it('gets a blob, verified, and refuses one that is not there', async () => {
    expect((await client.getBlob(repo, pushed.bundle)).toString()).toBe(bundleContent);
    expect(await kindOf(client.getBlob(repo, { ...pushed.bundle, digest: digestOf('not pushed') }))).toBe(
      'NotFound',
    );
  });

  it('lists tags; the registry sends no Link header, so a page of n is all there is', async () => {
    const all = await client.listTags(repo);
    expect(all).toEqual({ tags: ['multi', 'v1'], truncated: false });
    // It answers n with the first n tags and no Link to the rest: to the client, the list ends there.
    expect(await client.listTags(repo, { pageSize: 1, maxPages: 2 })).toEqual({
      tags: ['multi'],
      truncated: false,
    });
  });

  it('lists referrers through the referrers API, filtered by artifactType, with one request', async () => {
    // go-containerregistry v0.22.1 gives each referrer its config's media type as artifactType and
    // ignores the manifest's own artifactType: cosign v3's bundle (empty config) is listed as
    // application/vnd.oci.empty.v1+json, so filtering for the bundle type leaves it out.
    requests.length = 0;
    expect(await client.listReferrers(repo, pushed.image.digest)).toEqual({
      descriptors: [{ ...pushed.signature, artifactType: mediaTypes.empty }],
      via: 'ReferrersAPI',
    });
    expect(requests).toEqual([{ registry: referrersHost, host: referrersHost, method: 'GET', status: 200 }]);
    expect(await client.listReferrers(repo, pushed.image.digest, bundleType)).toEqual({
      descriptors: [],
      via: 'ReferrersAPI',
    });

    // Artifacts whose config has their type are listed with it, and filtered by it.
    const typed = (type: string, layer: Descriptor) =>
      pushManifest(`http://${referrersHost}`, repository, {
        schemaVersion: 2,
        mediaType: mediaTypes.manifest,
        artifactType: type,
        config: { ...pushed.config, mediaType: type },
        layers: [layer],
        subject: pushed.image,
      });
    const typedBundle = await typed(bundleType, pushed.bundle);
    const sbomType = 'application/spdx+json';
    const sbom = await typed(sbomType, await pushBlob(`http://${referrersHost}`, repository, sbomType, '{}'));
    expect(await client.listReferrers(repo, pushed.image.digest, bundleType)).toEqual({
      descriptors: [typedBundle],
      via: 'ReferrersAPI',
    });
    expect(await client.listReferrers(repo, pushed.image.digest, sbomType)).toEqual({
      descriptors: [sbom],
      via: 'ReferrersAPI',
    });
    const all = await client.listReferrers(repo, pushed.image.digest);
    expect(all.via).toBe('ReferrersAPI');
    expect(all.descriptors).toHaveLength(3);
    expect(all.descriptors).toEqual(
      expect.arrayContaining([typedBundle, sbom, { ...pushed.signature, artifactType: mediaTypes.empty }]),
    );
    // A digest nothing refers to: the API answers, with an empty list.
    expect(await client.listReferrers(repo, pushed.index.digest)).toEqual({
      descriptors: [],
      via: 'ReferrersAPI',
    });
  });

  it('a repository that does not exist is NotFound', async () => {
    const absent = { registry: referrersHost, repository: 'client/absent' };
    expect(await kindOf(client.getManifest(absent, 'v1'))).toBe('NotFound');
  });
});
