import { describe, expect, it } from 'vitest';
import { digestOf } from '../registry/digest.ts';
import { cosignPayload } from '../sigstore/legacy-cosign.ts';
import { knownPayload } from './known-payload.ts';

const digest = `sha256:${'ab'.repeat(32)}`;
const image = { registry: 'ghcr.io', repository: 'acme/api' };
/** What cosign 3 wrote for an image signed without annotations (bench: cosign-made key-legacy). */
const written = Buffer.from(
  `{"critical":{"identity":{"docker-reference":"ghcr.io/acme/api"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":null}`,
);
const layerOf = (bytes: Buffer, algorithm = 'sha256') => ({
  digest: digestOf(bytes, `${algorithm}:`),
  size: bytes.length,
});

describe('knownPayload', () => {
  it('is cosign’s payload for the image without annotations, byte for byte', () => {
    expect(cosignPayload('ghcr.io/acme/api', digest)).toEqual(written);
    expect(knownPayload(layerOf(written), image, digest)).toEqual(written);
    expect(knownPayload(layerOf(written, 'sha512'), image, digest)).toEqual(written);
  });

  it('names Docker Hub images as cosign does', () => {
    const hub = cosignPayload('index.docker.io/library/nginx', digest);
    expect(knownPayload(layerOf(hub), { registry: 'docker.io', repository: 'nginx' }, digest)).toEqual(hub);
  });

  it('is not known for any other payload: fetched as before', () => {
    const annotated = Buffer.from(written.toString().replace('"optional":null', '"optional":{"sha":"1"}'));
    const other = cosignPayload('ghcr.io/acme/api', `sha256:${'cd'.repeat(32)}`);
    expect(knownPayload(layerOf(annotated), image, digest)).toBeUndefined();
    expect(knownPayload(layerOf(other), image, digest)).toBeUndefined();
    expect(knownPayload(layerOf(written), { ...image, repository: 'acme/web' }, digest)).toBeUndefined();
    // The size is checked as well as the digest; a digest we cannot compute is never matched.
    expect(knownPayload({ ...layerOf(written), size: written.length + 1 }, image, digest)).toBeUndefined();
    expect(
      knownPayload({ digest: `md5:${'0'.repeat(32)}`, size: written.length }, image, digest),
    ).toBeUndefined();
  });
});
