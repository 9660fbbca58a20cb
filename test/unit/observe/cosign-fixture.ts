// A real legacy cosign signature of the shared Sigstore fixtures (cosign-legacy/<id>/) as a registry
// stores it: the signature manifest under the `sha256-<hex>.sig` tag of the digest under test, and
// each layer's payload blob. Only the signatures: the image manifest itself is not there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestOf } from '../../../src/registry/digest.ts';
import { mediaTypes } from '../../../src/registry/media-types.ts';
import { legacySignatureTag } from '../../../src/registry/names.ts';
import type { Descriptor } from '../../../src/registry/schemas.ts';
import type { Handler, Routes } from '../registry/hostile-registry.ts';
import { send } from '../registry/hostile-registry.ts';
import { sigstoreFixture } from '../../shared-fixtures.ts';

interface FixtureCase {
  id: string;
  path: string;
  imageUnderTest?: { ref: string; digest: string };
  signer?: { san: string; issuer: string };
}

interface SignatureFile {
  layers: (Descriptor & { payloadFile: string })[];
}

export interface LegacyFixture {
  id: string;
  /** The repository path without the registry: `chainguard-images/nginx`. */
  repository: string;
  /** The digest under test (cases.json `imageUnderTest.digest`). */
  digest: string;
  /** Who signed it, as the certificate says (cases.json `signer`). */
  identity: string;
  issuer: string;
  /** The signature manifest, exactly as served. */
  manifest: Buffer;
  /** The signature layers, with their payload blobs. */
  layers: { descriptor: Descriptor; payload: Buffer }[];
}

export function legacyFixture(id: string): LegacyFixture {
  const { cases } = JSON.parse(readFileSync(sigstoreFixture('cases.json'), 'utf8')) as {
    cases: FixtureCase[];
  };
  const found = cases.find((c) => c.id === id);
  if (!found?.imageUnderTest || !found.signer) throw new Error(`${id}: not a legacy cosign case`);
  const dir = sigstoreFixture(found.path);
  const signature = JSON.parse(readFileSync(join(dir, 'signature.json'), 'utf8')) as SignatureFile;
  const layers = signature.layers.map(({ payloadFile, ...descriptor }) => ({
    descriptor,
    payload: readFileSync(join(dir, payloadFile)),
  }));
  const config = Buffer.from('{}');
  const manifest = {
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: 2 },
    layers: layers.map((l) => l.descriptor),
  };
  return {
    id,
    repository: found.imageUnderTest.ref.split('/').slice(1).join('/'),
    digest: found.imageUnderTest.digest,
    identity: found.signer.san,
    issuer: found.signer.issuer,
    manifest: Buffer.from(JSON.stringify(manifest)),
    layers,
  };
}

/** The registry paths judging `digest` of `fixture`'s repository touches. */
export function registryPaths(fixture: LegacyFixture, digest = fixture.digest) {
  const base = `/v2/${fixture.repository}`;
  return {
    signatureManifest: `GET ${base}/manifests/${legacySignatureTag(digest)}`,
    payload: (layer = 0) => `GET ${base}/blobs/${fixture.layers[layer]?.descriptor.digest ?? ''}`,
    referrersApi: `GET ${base}/referrers/${digest}`,
    referrersTag: `GET ${base}/manifests/${digest.replace(':', '-')}`,
    imageManifest: `GET ${base}/manifests/${digest}`,
    manifest: (reference: string) => `GET ${base}/manifests/${reference}`,
  };
}

/** Serves `bytes` as a manifest of `contentType`. */
export const serveManifest =
  (bytes: Uint8Array | string, contentType: string = mediaTypes.ociManifest): Handler =>
  (_req, res) =>
    send(res, 200, bytes, { 'content-type': contentType });

/** The routes of a registry holding `fixture`'s signature for `digest` (by default its own) and nothing else. */
export function signatureRoutes(fixture: LegacyFixture, digest = fixture.digest): Routes {
  const paths = registryPaths(fixture, digest);
  const routes: Routes = { [paths.signatureManifest]: serveManifest(fixture.manifest) };
  fixture.layers.forEach(({ payload }, i) => {
    routes[paths.payload(i)] = (_req, res) =>
      send(res, 200, payload, { 'content-type': 'application/octet-stream' });
  });
  return routes;
}
