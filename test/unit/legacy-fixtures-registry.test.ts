// Every legacy cosign case of the shared Sigstore fixtures, served by an in-process registry as a
// signature-only mirror (the `sha256-<hex>.sig` manifest and its payload blobs under the case's real
// digest, no image manifest, no referrers) and judged through `signwarden inspect` with the
// embedded public-good root: the command's exit code and signers, and the requests it made.
// test/e2e/postures.e2e.test.ts does the same against the real registry, through judgeDigest.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectReport } from '../../src/cli/inspect.ts';
import { inspectCommand } from '../../src/cli/inspect.ts';
import type { VerifiedSigner } from '../../src/core/observation.ts';
import { mediaTypes } from '../../src/registry/media-types.ts';
import { parsePublicKey } from '../../src/sigstore/public-key.ts';
import type { HostileRegistry, Routes } from './registry/hostile-registry.ts';
import { send, startHostileRegistry } from './registry/hostile-registry.ts';
import { sigstoreFixture } from '../shared-fixtures.ts';

const fixture = sigstoreFixture;

interface LegacyCase {
  id: string;
  type: 'cosign-legacy' | 'cosign-legacy-key';
  path: string;
  expect: 'pass' | 'fail';
  imageUnderTest: { digest: string };
  policy?: { san: string; issuer: string };
  publicKey?: string;
}

const cases = (
  JSON.parse(readFileSync(fixture('cases.json'), 'utf8')) as { cases: { type: string }[] }
).cases.filter((c): c is LegacyCase => c.type === 'cosign-legacy' || c.type === 'cosign-legacy-key');

/** The outcome of each negative case (the fixtures only say "fail"). */
const FAILURE: Record<string, { posture: string; exitCode: number }> = {
  'D-chainguard-node-digest-mismatch': { posture: 'Invalid', exitCode: 5 },
  'D-chainguard-static-wrong-identity': { posture: 'Signed', exitCode: 0 }, // by another identity
  'D-ratify-wabbitnetworks-corrupted-set': { posture: 'Invalid', exitCode: 5 },
  'D-connaisseur-testimage-3-keys-unknown-key': { posture: 'Unverifiable', exitCode: 4 },
};

function keyFingerprintOf(path: string): string {
  const key = parsePublicKey(readFileSync(fixture(path), 'utf8'));
  if ('error' in key) throw new Error(key.error);
  return key.fingerprint;
}

const signerKey = (s: VerifiedSigner): string =>
  s.kind === 'Key' ? `key ${s.fingerprint}` : `keyless ${s.identity} ${s.issuer}`;

const repositoryOf = (c: LegacyCase): string => `fixtures/${c.id.toLowerCase()}`;
const sha256 = (bytes: Uint8Array | string): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The signature manifest and blobs of a case, as cosign stored them. */
function routesOf(c: LegacyCase): Routes {
  const repository = repositoryOf(c);
  const manifest = JSON.parse(readFileSync(fixture(`${c.path}/signature.json`), 'utf8')) as {
    layers: { mediaType: string; digest: string; size: number; payloadFile: string; annotations: object }[];
  };
  const routes: Routes = {};
  const config = '{"architecture":"","os":"","config":{}}';
  routes[`GET /v2/${repository}/blobs/${sha256(config)}`] = (_req, res) => send(res, 200, config);
  for (const layer of manifest.layers) {
    const payload = readFileSync(fixture(`${c.path}/${layer.payloadFile}`));
    routes[`GET /v2/${repository}/blobs/${layer.digest}`] = (_req, res) => send(res, 200, payload);
  }
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: sha256(config),
      size: config.length,
    },
    layers: manifest.layers.map(({ mediaType, digest, size, annotations }) => ({
      mediaType,
      digest,
      size,
      annotations,
    })),
  });
  routes[`GET /v2/${repository}/manifests/${c.imageUnderTest.digest.replace(':', '-')}.sig`] = (_req, res) =>
    send(res, 200, body, { 'content-type': mediaTypes.ociManifest, 'docker-content-digest': sha256(body) });
  return routes;
}

let registry: HostileRegistry;
beforeAll(async () => {
  registry = await startHostileRegistry(Object.assign({}, ...cases.map(routesOf)) as Routes);
});
afterAll(async () => {
  await registry?.close();
});

async function inspect(argv: string[]): Promise<{ code: number; report: InspectReport; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await inspectCommand([...argv, '--insecure-registry', registry.host, '--output', 'json'], {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
  });
  return { code, report: JSON.parse(stdout || '{}') as InspectReport, stderr };
}

describe('legacy cosign fixtures from a signature-only mirror, through signwarden inspect', () => {
  it('covers every legacy case and knows how each negative one fails', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    for (const c of cases) if (c.expect === 'fail') expect(FAILURE, c.id).toHaveProperty([c.id]);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const image = `${registry.host}/${repositoryOf(c)}@${c.imageUnderTest.digest}`;
    const keyFlags = c.publicKey ? ['--key', fixture(c.publicKey)] : [];
    const { code, report, stderr } = await inspect([image, ...keyFlags]);
    expect(stderr).toBe('');
    expect(report).toMatchObject({ digest: c.imageUnderTest.digest, mediaType: null });
    expect(report.note).toMatch(/image manifest is not available/);
    expect(report.trustedRoot).toMatch(/^public-good/);
    const expected: VerifiedSigner = c.publicKey
      ? { kind: 'Key', fingerprint: keyFingerprintOf(c.publicKey) }
      : { kind: 'Keyless', identity: c.policy?.san ?? '', issuer: c.policy?.issuer ?? '' };
    const byExpected = report.signers.some((s) => signerKey(s) === signerKey(expected));

    if (c.expect === 'pass') {
      expect(report, JSON.stringify(report)).toMatchObject({
        posture: c.publicKey ? 'KeySigned' : 'Signed',
        location: 'LegacySigTag',
        signedBy: 'Digest',
        signers: [expected],
      });
      expect(code).toBe(0);
      if (c.publicKey) expect((await inspect([image])).code).toBe(4); // the key not given
      return;
    }
    const failure = FAILURE[c.id];
    expect(report.posture, JSON.stringify(report)).toBe(failure?.posture);
    expect(code).toBe(failure?.exitCode);
    expect(byExpected).toBe(false);
  });

  it('only read from the mirror, in the repositories of the cases', () => {
    expect(registry.requests.length).toBeGreaterThan(0);
    for (const { method, url } of registry.requests) {
      expect(['GET', 'HEAD']).toContain(method);
      expect(url).toMatch(/^\/v2\/fixtures\/[a-z0-9-]+\/(manifests|blobs|referrers)\//);
    }
  });
});
