import { randomBytes } from 'node:crypto';
import type { Descriptor } from '../oci.ts';
import { digestOf, mediaTypes, pushBlob, pushManifest } from '../oci.ts';
import { cosignSignPredicateType } from './payloads.ts';
import type { BundleSignature, LegacySignature } from './test-sigstore.ts';

// Images and their signatures in a registry, laid out as cosign lays them out: legacy signatures in
// the `sha256-<hex>.sig` tag, Sigstore bundles in OCI referrers (artifact manifests whose subject is
// the image), listed in the referrers tag `sha256-<hex>` for registries without the referrers API.

/** An image (manifest or index) in a registry. */
export type Image = {
  /** 127.0.0.1:PORT, as in image references. */
  host: string;
  /** The repository's name in the registry, e.g. signing/app. */
  repository: string;
  /** host/repository: as in references, and as cosign's simple-signing docker-reference. */
  name: string;
  digest: string;
  descriptor: Descriptor;
  /** host/repository@digest */
  ref: string;
};

export const bundleMediaType = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export const dockerMediaTypes = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  index: 'application/vnd.docker.distribution.manifest.list.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
};

const ociConfig = 'application/vnd.oci.image.config.v1+json';
const ociLayer = 'application/vnd.oci.image.layer.v1.tar';
const accept = [
  mediaTypes.manifest,
  mediaTypes.index,
  dockerMediaTypes.manifest,
  dockerMediaTypes.index,
].join(', ');

const urlOf = (host: string) => `http://${host}`;

function imageOf(host: string, repository: string, descriptor: Descriptor): Image {
  const name = `${host}/${repository}`;
  return {
    host,
    repository,
    name,
    digest: descriptor.digest,
    descriptor,
    ref: `${name}@${descriptor.digest}`,
  };
}

/** The referrers tag (OCI distribution spec) of a digest: sha256-<hex>. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

/** cosign's legacy signature tag of a digest: sha256-<hex>.sig. */
export function signatureTag(digest: string): string {
  return `${referrersTag(digest)}.sig`;
}

/**
 * Pushes a small image no other test shares: a config and one layer of random bytes (a digest
 * nobody else signed). `platform` goes into the config.
 */
export async function pushRandomImage(
  host: string,
  repository: string,
  opts: { platform?: { os: string; architecture: string }; docker?: boolean } = {},
): Promise<Image> {
  const url = urlOf(host);
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const layer = await pushBlob(url, repository, ociLayer, randomBytes(64));
  const config = await pushBlob(
    url,
    repository,
    opts.docker ? dockerMediaTypes.config : ociConfig,
    JSON.stringify({ ...platform, config: {}, rootfs: { type: 'layers', diff_ids: [layer.digest] } }),
  );
  const mediaType = opts.docker ? dockerMediaTypes.manifest : mediaTypes.manifest;
  const descriptor = await pushManifest(url, repository, {
    schemaVersion: 2,
    mediaType,
    config,
    layers: [opts.docker ? { ...layer, mediaType: 'application/vnd.docker.image.rootfs.diff.tar' } : layer],
  });
  return imageOf(host, repository, descriptor);
}

/** Pushes two random platform images (linux/amd64, linux/arm64) and an OCI index over them. */
export async function pushMultiArchIndex(
  host: string,
  repository: string,
): Promise<{ index: Image; platforms: Image[] }> {
  const platformList = [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64' },
  ];
  const platforms = await Promise.all(
    platformList.map((platform) => pushRandomImage(host, repository, { platform })),
  );
  const descriptor = await pushManifest(urlOf(host), repository, {
    schemaVersion: 2,
    mediaType: mediaTypes.index,
    manifests: platforms.map((image, i) => ({ ...image.descriptor, platform: platformList[i] })),
  });
  return { index: imageOf(host, repository, descriptor), platforms };
}

/** Fetches a manifest or index by tag or digest; undefined if there is none. */
export async function fetchManifest(
  host: string,
  repository: string,
  reference: string,
): Promise<{ raw: Buffer; json: Manifest; descriptor: Descriptor } | undefined> {
  const res = await fetch(`${urlOf(host)}/v2/${repository}/manifests/${reference}`, { headers: { accept } });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`${res.url}: status ${res.status}: ${await res.text()}`);
  const raw = Buffer.from(await res.arrayBuffer());
  const json = JSON.parse(raw.toString('utf8')) as Manifest;
  const mediaType = json.mediaType ?? res.headers.get('content-type') ?? '';
  return {
    raw,
    json,
    descriptor: {
      mediaType,
      digest: digestOf(raw),
      size: raw.length,
      ...(json.artifactType && { artifactType: json.artifactType }),
    },
  };
}

/** Points `tag` at `image`, as `docker push` of a tag does (moving it if it named another image). */
export async function tagImage(image: Image, tag: string): Promise<void> {
  const found = await fetchManifest(image.host, image.repository, image.digest);
  if (!found) throw new Error(`${image.ref} not found`);
  const res = await fetch(`${urlOf(image.host)}/v2/${image.repository}/manifests/${tag}`, {
    method: 'PUT',
    body: found.raw,
    headers: { 'content-type': found.descriptor.mediaType },
  });
  if (res.status !== 201) throw new Error(`tagging ${image.ref} as ${tag}: status ${res.status}`);
}

/** A manifest or an index, as far as these helpers read them. */
export type Manifest = {
  schemaVersion: number;
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor & { artifactType?: string };
  layers?: (Descriptor & { annotations?: Record<string, string> })[];
  manifests?: (Descriptor & { annotations?: Record<string, string> })[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
};

/** The image a reference (tag or digest) names, e.g. one cosign or another test pushed. */
export async function resolveImage(host: string, repository: string, reference: string): Promise<Image> {
  const found = await fetchManifest(host, repository, reference);
  if (!found) throw new Error(`${host}/${repository}:${reference} not found`);
  return imageOf(host, repository, found.descriptor);
}

/** Fetches a blob (and checks its digest). */
export async function fetchBlob(host: string, repository: string, digest: string): Promise<Buffer> {
  const res = await fetch(`${urlOf(host)}/v2/${repository}/blobs/${digest}`);
  if (!res.ok) throw new Error(`${res.url}: status ${res.status}: ${await res.text()}`);
  const blob = Buffer.from(await res.arrayBuffer());
  if (digestOf(blob) !== digest) throw new Error(`${res.url}: content does not match its digest`);
  return blob;
}

/**
 * Copies an image (a manifest with its blobs, or an index with its manifests) into another
 * repository of the same registry, byte for byte: the copy has the same digest.
 */
export async function copyImage(image: Image, toRepository: string): Promise<Image> {
  const found = await fetchManifest(image.host, image.repository, image.digest);
  if (!found) throw new Error(`${image.ref} not found`);
  const { json, raw, descriptor } = found;
  for (const child of json.manifests ?? []) {
    await copyImage(imageOf(image.host, image.repository, child), toRepository);
  }
  for (const blob of [...(json.config ? [json.config] : []), ...(json.layers ?? [])]) {
    const content = await fetchBlob(image.host, image.repository, blob.digest);
    await pushBlob(urlOf(image.host), toRepository, blob.mediaType, content);
  }
  await putManifest(image.host, toRepository, descriptor.mediaType, raw, descriptor.digest);
  return imageOf(image.host, toRepository, descriptor);
}

async function putManifest(
  host: string,
  repository: string,
  mediaType: string,
  raw: Buffer,
  reference: string,
): Promise<void> {
  const res = await fetch(`${urlOf(host)}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    body: raw,
    headers: { 'content-type': mediaType },
  });
  if (res.status !== 201) throw new Error(`${res.url}: status ${res.status}: ${await res.text()}`);
}

export type LegacyPublishOptions = {
  /** Docker media types for the signature manifest (cosign with COSIGN_DOCKER_MEDIA_TYPES=1). */
  docker?: boolean;
  /** Replace the signatures already under the tag instead of adding to them (cosign adds). */
  replace?: boolean;
};

/**
 * Publishes legacy signatures of `image` as cosign does: an image tagged `sha256-<hex>.sig` in the
 * image's repository, one simple-signing layer per signature, with the cosign annotations. The
 * signatures may have been made for another image: that is how a replay is staged.
 */
export async function publishLegacySignature(
  image: Pick<Image, 'host' | 'repository' | 'digest'>,
  signatures: LegacySignature | LegacySignature[],
  opts: LegacyPublishOptions = {},
): Promise<Descriptor> {
  const url = urlOf(image.host);
  const tag = signatureTag(image.digest);
  const existing = opts.replace ? undefined : await fetchManifest(image.host, image.repository, tag);
  const layers = [...(existing?.json.layers ?? [])];
  for (const signature of [signatures].flat()) {
    await pushBlob(url, image.repository, signature.layer.mediaType, signature.payload);
    if (!layers.some((layer) => layer.digest === signature.layer.digest && sameAnnotations(layer, signature)))
      layers.push(signature.layer);
  }
  // The config of cosign's signature image: go-containerregistry's empty image with the layers
  // appended (diff IDs are the digests: the layers are not compressed).
  const config = await pushBlob(
    url,
    image.repository,
    opts.docker ? dockerMediaTypes.config : ociConfig,
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: layers.map(() => ({ created: '0001-01-01T00:00:00Z' })),
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) },
      config: {},
    }),
  );
  return pushManifest(
    url,
    image.repository,
    {
      schemaVersion: 2,
      mediaType: opts.docker ? dockerMediaTypes.manifest : mediaTypes.manifest,
      config,
      layers,
    },
    tag,
  );
}

function sameAnnotations(
  layer: { annotations?: Record<string, string> },
  signature: LegacySignature,
): boolean {
  return JSON.stringify(layer.annotations ?? {}) === JSON.stringify(signature.layer.annotations);
}

export type BundlePublishOptions = {
  /** Also list the referrer in the referrers tag `sha256-<hex>` (default true: our registry has no referrers API). */
  referrersTag?: boolean;
  /** The manifest's `dev.sigstore.bundle.predicateType` annotation; default cosign sign's. */
  predicateType?: string;
};

/**
 * Publishes a Sigstore bundle of `image` as cosign v3 does: an OCI artifact manifest (artifactType
 * and single layer of the bundle media type, empty config) whose subject is the image, and by
 * default also in the referrers tag. Returns the artifact manifest's descriptor.
 */
export async function publishBundle(
  image: Pick<Image, 'host' | 'repository' | 'descriptor'>,
  bundle: BundleSignature | string,
  opts: BundlePublishOptions = {},
): Promise<Descriptor & { annotations: Record<string, string> }> {
  const url = urlOf(image.host);
  const json = typeof bundle === 'string' ? bundle : bundle.json;
  const config = await pushBlob(url, image.repository, mediaTypes.empty, '{}');
  const layer = await pushBlob(url, image.repository, bundleMediaType, json);
  const annotations = {
    'dev.sigstore.bundle.content': 'dsse-envelope',
    'dev.sigstore.bundle.predicateType': opts.predicateType ?? cosignSignPredicateType,
    'org.opencontainers.image.created': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  const { mediaType, digest, size } = image.descriptor;
  // Fields in cosign's order; cosign (WriteReferrer) also sets the artifact type in the config
  // descriptor.
  const descriptor = await pushManifest(url, image.repository, {
    schemaVersion: 2,
    mediaType: mediaTypes.manifest,
    config: { ...config, artifactType: bundleMediaType },
    layers: [layer],
    annotations,
    subject: { mediaType, digest, size },
    artifactType: bundleMediaType,
  });
  // Listed as go-containerregistry (cosign) lists it: without the annotations.
  if (opts.referrersTag ?? true) await addToReferrersTag(image, descriptor);
  return { ...descriptor, annotations };
}

/**
 * Adds a referrer to the referrers tag `sha256-<hex>` of `image` (the OCI distribution spec's
 * fallback for registries without the referrers API): an index listing the referrers' descriptors,
 * with their artifactType (and annotations, if given: the spec asks for them, cosign leaves them out).
 */
export async function addToReferrersTag(
  image: Pick<Image, 'host' | 'repository' | 'descriptor'>,
  referrer: Descriptor & { annotations?: Record<string, string> },
): Promise<Descriptor> {
  const tag = referrersTag(image.descriptor.digest);
  const existing = await fetchManifest(image.host, image.repository, tag);
  const manifests = (existing?.json.manifests ?? []).filter((m) => m.digest !== referrer.digest);
  return pushManifest(
    urlOf(image.host),
    image.repository,
    { schemaVersion: 2, mediaType: mediaTypes.index, manifests: [...manifests, referrer] },
    tag,
  );
}

/** The referrers listed in the referrers tag of `image` (none if there is no such tag). */
export async function listReferrersTag(
  image: Pick<Image, 'host' | 'repository' | 'descriptor'>,
): Promise<(Descriptor & { annotations?: Record<string, string> })[]> {
  const found = await fetchManifest(image.host, image.repository, referrersTag(image.descriptor.digest));
  return found?.json.manifests ?? [];
}
