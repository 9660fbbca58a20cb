import { createHash } from 'node:crypto';

/** An OCI content descriptor. */
export type Descriptor = { mediaType: string; digest: string; size: number; artifactType?: string };

export const mediaTypes = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  /** The config of an artifact that needs none: the blob `{}`. */
  empty: 'application/vnd.oci.empty.v1+json',
};

export function digestOf(content: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/** Uploads a blob to `repo` with the monolithic upload: POST for an upload URL, then PUT it whole. */
export async function pushBlob(
  registryUrl: string,
  repo: string,
  mediaType: string,
  content: Uint8Array | string,
): Promise<Descriptor> {
  const body = typeof content === 'string' ? Buffer.from(content) : content;
  const digest = digestOf(body);
  const started = await expectStatus(
    fetch(`${registryUrl}/v2/${repo}/blobs/uploads/`, { method: 'POST' }),
    202,
  );
  const upload = new URL(started.headers.get('location') ?? '', registryUrl);
  upload.searchParams.set('digest', digest);
  await expectStatus(
    fetch(upload, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } }),
    201,
  );
  return { mediaType, digest, size: body.length };
}

/** Uploads a manifest or index, by digest or under `tag`, and returns its descriptor. */
export async function pushManifest(
  registryUrl: string,
  repo: string,
  manifest: { mediaType: string; artifactType?: string; [field: string]: unknown },
  tag?: string,
): Promise<Descriptor> {
  const body = JSON.stringify(manifest);
  const digest = digestOf(body);
  await expectStatus(
    fetch(`${registryUrl}/v2/${repo}/manifests/${tag ?? digest}`, {
      method: 'PUT',
      body,
      headers: { 'content-type': manifest.mediaType },
    }),
    201,
  );
  const { mediaType, artifactType } = manifest;
  return { mediaType, digest, size: Buffer.byteLength(body), ...(artifactType && { artifactType }) };
}

async function expectStatus(response: Promise<Response>, status: number): Promise<Response> {
  const res = await response;
  if (res.status !== status) {
    throw new Error(`${res.url}: status ${res.status}, want ${status}: ${await res.text()}`);
  }
  return res;
}
