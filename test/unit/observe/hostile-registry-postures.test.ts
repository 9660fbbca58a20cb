// judgeDigest against a registry that misbehaves in one way per case, while holding a REAL signed
// image's signatures (the public-good legacy cosign signature of B-chainguard-nginx, under its
// `sha256-<hex>.sig` tag, plus its payload blob; the image manifest itself is absent). A hostile or
// broken registry must never produce a false Signed nor a false Unsigned (DESIGN.md §3, §7): every
// failure to know is Checking, content that lies is Invalid, and only "nothing anywhere" (404 at
// every place) is Unsigned.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Posture } from '../../../src/api/postures.ts';
import type { CheckingReason, SignatureLocation } from '../../../src/core/observation.ts';
import { BUNDLE_ARTIFACT_TYPE, judgeDigest } from '../../../src/observe/judge-digest.ts';
import type { Judgement } from '../../../src/observe/judge-digest.ts';
import type { Credentials } from '../../../src/registry/credentials.ts';
import { digestOf } from '../../../src/registry/digest.ts';
import type { RegistryLimits } from '../../../src/registry/limits.ts';
import { mediaTypes } from '../../../src/registry/media-types.ts';
import { RegistryClient } from '../../../src/registry/registry-client.ts';
import { publicGoodTrustRoot } from '../../../src/sigstore/trusted-root.ts';
import type { Handler, HostileRegistry, Routes } from '../registry/hostile-registry.ts';
import { fiftyMegabytes, json, send, startHostileRegistry } from '../registry/hostile-registry.ts';
import type { LegacyFixture } from './cosign-fixture.ts';
import { legacyFixture, registryPaths, serveManifest, signatureRoutes } from './cosign-fixture.ts';

const MiB = 1024 * 1024;
/** Short bounds, so that every misbehaviour is over in well under a second (but the Retry-After: 1 one). */
const LIMITS: Partial<RegistryLimits> = {
  requestTimeoutMs: 500,
  connectTimeoutMs: 300,
  maxManifestBytes: MiB,
  maxRetries: 1,
  maxRetryWaitMs: 1_500,
  retryBaseDelayMs: 10,
};

const nginx = legacyFixture('B-chainguard-nginx');
const node = legacyFixture('D-chainguard-node-digest-mismatch');
const paths = registryPaths(nginx);
/** A real digest of another image (B-chainguard-busybox), whose `.sig` tag we fill with nginx's signature. */
const otherDigest = 'sha256:606d1f9fdaaec4bddd4680f9dac9b3c4c874b5e7db5ad6b01764f449491b6a3b';

const credentials: Credentials = { username: 'robot', password: 's3cret' };
const basic = `Basic ${Buffer.from('robot:s3cret').toString('base64')}`;

let registry: HostileRegistry;
let elsewhere: HostileRegistry; // another origin: blob storage, a token service
beforeAll(async () => {
  publicGoodTrustRoot(); // parsed once up front, not inside the first case (nor the memory measurement)
  [registry, elsewhere] = await Promise.all([startHostileRegistry(), startHostileRegistry()]);
});
afterAll(async () => {
  await Promise.all([registry?.close(), elsewhere?.close()]);
});
beforeEach(() => {
  registry.serve({});
  elsewhere.serve({});
});

interface JudgeOptions {
  fixture?: LegacyFixture;
  digest?: string;
  credentials?: Credentials;
}

/** judgeDigest as the operator calls it, with a fresh client (no token or challenge carried over). */
function judge(options: JudgeOptions = {}): Promise<Judgement> {
  const { fixture = nginx, digest = fixture.digest } = options;
  const client = new RegistryClient({
    insecureRegistries: [registry.host, elsewhere.host],
    limits: LIMITS,
    ...(options.credentials ? { credentials: () => Promise.resolve(options.credentials) } : {}),
  });
  return judgeDigest(
    { registry: client, trust: publicGoodTrustRoot(), keys: [] },
    { registry: registry.host, repository: fixture.repository, digest },
  );
}

const status =
  (code: number, headers: Record<string, string> = {}): Handler =>
  (_req, res) =>
    json(res, code, { errors: [{ code: 'HOSTILE' }] }, headers);
const notFound = status(404);
/** Accepts the request and never answers. */
const silence: Handler = () => undefined;
/** Sends the headers and a byte, then a byte every 20 ms, forever. */
const drip: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': mediaTypes.ociManifest });
  res.write('{');
  const timer = setInterval(() => res.write(' '), 20);
  res.on('close', () => clearInterval(timer));
};
/** Answers 429 with Retry-After: 1 the first time, then as `handler` does. */
function throttledOnce(handler: Handler): Handler {
  let first = true;
  return (req, res, url) => {
    if (!first) return handler(req, res, url);
    first = false;
    json(res, 429, { errors: [{ code: 'TOOMANYREQUESTS' }] }, { 'retry-after': '1' });
  };
}
/** `routes` (404 for anything else) behind HTTP basic authentication. */
function behindBasicAuth(routes: Routes): Routes {
  const guard =
    (handler: Handler): Handler =>
    (req: IncomingMessage, res: ServerResponse, url: URL) =>
      req.headers.authorization === basic
        ? handler(req, res, url)
        : json(
            res,
            401,
            { errors: [{ code: 'UNAUTHORIZED' }] },
            { 'www-authenticate': 'Basic realm="hostile"' },
          );
  return Object.fromEntries(Object.entries({ ...routes, '*': notFound }).map(([k, h]) => [k, guard(h)]));
}

/** A referrers-tag index (the fallback of a registry without the referrers API) listing one bundle referrer. */
function referrersTagIndex(referrer: { digest: string; size: number }): Routes {
  const index = {
    schemaVersion: 2,
    mediaType: mediaTypes.ociIndex,
    manifests: [{ mediaType: mediaTypes.ociManifest, artifactType: BUNDLE_ARTIFACT_TYPE, ...referrer }],
  };
  return { [paths.referrersTag]: serveManifest(JSON.stringify(index), mediaTypes.ociIndex) };
}
/** Bytes served as the referrer manifest: not JSON at all. */
const garbage = Buffer.from('\u0000\u00ffGIF89a not a manifest {{{');
const lie = digestOf(Buffer.from('what the index says the referrer is'));

/** An index (judged by its digest) whose one platform has a digest of an algorithm nobody verifies. */
const md5Index = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: mediaTypes.ociIndex,
    manifests: [
      {
        mediaType: mediaTypes.ociManifest,
        digest: `md5:${'0'.repeat(32)}`,
        size: 10,
        platform: { os: 'linux', architecture: 'amd64' },
      },
    ],
  }),
);

const payload = nginx.layers[0]!.payload;
const flipped = Buffer.from(payload);
flipped[flipped.indexOf('nginx')] = 'N'.charCodeAt(0);

interface Expected {
  posture: Posture;
  checkingReason?: CheckingReason;
  location?: SignatureLocation;
  detail?: unknown;
}

interface HostileCase extends JudgeOptions {
  name: string;
  routes: () => Routes;
  elsewhere?: () => Routes;
  want: Expected;
  /** Further checks, once judged. */
  then?: (judgement: Judgement) => void;
}

const signed: Expected = { posture: 'Signed', location: 'LegacySigTag' };
const checking = (checkingReason: CheckingReason, detail: string): Expected => ({
  posture: 'Checking',
  checkingReason,
  detail: expect.stringContaining(detail),
});
const invalid = (detail: string): Expected => ({
  posture: 'Invalid',
  location: 'LegacySigTag',
  detail: expect.stringContaining(detail),
});

const cases: HostileCase[] = [
  {
    name: 'the untouched registry → Signed by the identity and issuer of cases.json',
    routes: () => signatureRoutes(nginx),
    want: signed,
    then: (j) => {
      expect(j.signers).toEqual([
        expect.objectContaining({ kind: 'Keyless', identity: nginx.identity, issuer: nginx.issuer }),
      ]);
      expect(j.signedDigest).toBe(nginx.digest);
      expect(elsewhere.requests).toHaveLength(0);
    },
  },
  // Errors.
  {
    name: '500 on the .sig manifest → Checking (RegistryError)',
    routes: () => ({ ...signatureRoutes(nginx), [paths.signatureManifest]: status(500) }),
    want: checking('RegistryError', 'LegacySigTag: manifest sha256-'),
  },
  {
    name: '500 on the payload blob → Checking (RegistryError)',
    routes: () => ({ ...signatureRoutes(nginx), [paths.payload()]: status(500) }),
    want: checking('RegistryError', 'blob: HTTP 500'),
  },
  {
    name: '404 on the payload blob the .sig manifest lists → Checking (RegistryError), not Unsigned',
    routes: () => ({ ...signatureRoutes(nginx), [paths.payload()]: notFound }),
    want: checking('RegistryError', 'signature content is missing'),
  },
  // Time.
  {
    name: 'the .sig manifest request never answers → Checking (Timeout)',
    routes: () => ({ ...signatureRoutes(nginx), [paths.signatureManifest]: silence }),
    want: checking('Timeout', 'no answer within 300 ms'),
  },
  {
    name: 'the .sig manifest body drips past the total timeout → Checking (Timeout)',
    routes: () => ({ ...signatureRoutes(nginx), [paths.signatureManifest]: drip }),
    want: checking('Timeout', 'not done within 500 ms'),
  },
  {
    name: 'the payload blob request never answers → Checking (Timeout)',
    routes: () => ({ ...signatureRoutes(nginx), [paths.payload()]: silence }),
    want: checking('Timeout', 'no answer within 300 ms'),
  },
  // Malformed content.
  {
    name: 'malformed JSON as the .sig manifest → Checking (RegistryError, from BadResponse)',
    routes: () => ({
      ...signatureRoutes(nginx),
      [paths.signatureManifest]: serveManifest(nginx.manifest.subarray(0, 200)),
    }),
    want: checking('RegistryError', 'not valid JSON'),
  },
  {
    name: 'an HTML page (a captive portal) as the .sig manifest → Checking (RegistryError)',
    routes: () => ({
      ...signatureRoutes(nginx),
      [paths.signatureManifest]: serveManifest('<html>login</html>', 'text/html'),
    }),
    want: checking('RegistryError', 'LegacySigTag'),
  },
  // A Docker-Content-Digest header the bytes of a tag do not hash to: the registry contradicts itself
  // about what the tag holds, so the place could not be read reliably (Checking), never a reason to
  // fail the whole judgement nor to discard a signature that verifies elsewhere.
  {
    name: 'the .sig manifest with a Docker-Content-Digest it does not hash to → Checking (RegistryError)',
    routes: () => ({
      ...signatureRoutes(nginx),
      [paths.signatureManifest]: (_req, res) =>
        send(res, 200, nginx.manifest, {
          'content-type': mediaTypes.ociManifest,
          'docker-content-digest': lie,
        }),
    }),
    want: checking('RegistryError', 'does not hash to its Docker-Content-Digest'),
  },
  {
    name: 'the referrers tag index with a lying Docker-Content-Digest beside the valid .sig signature → Signed',
    routes: () => ({
      ...signatureRoutes(nginx),
      [paths.referrersTag]: (_req, res) =>
        send(res, 200, JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [] }), {
          'content-type': mediaTypes.ociIndex,
          'docker-content-digest': lie,
        }),
    }),
    want: signed,
  },
  // Content that lies.
  {
    name: 'the payload blob altered (its digest lies) → Invalid',
    routes: () => ({ ...signatureRoutes(nginx), [paths.payload()]: (_q, res) => send(res, 200, flipped) }),
    want: invalid('content hashes to another digest'),
  },
  {
    name: 'the payload blob with bytes appended → Invalid',
    routes: () => ({
      ...signatureRoutes(nginx),
      [paths.payload()]: (_q, res) => send(res, 200, Buffer.concat([payload, Buffer.from('\n')])),
    }),
    want: invalid('does not match its digest'),
  },
  {
    name: 'a real signature for another digest (D-chainguard-node-digest-mismatch) → Invalid',
    fixture: node,
    routes: () => signatureRoutes(node),
    want: invalid(`payload signs sha256:ca428856`),
  },
  {
    name: "nginx's real signature under another image's .sig tag → Invalid",
    digest: otherDigest,
    routes: () => signatureRoutes(nginx, otherDigest),
    want: invalid(`payload signs ${nginx.digest}, not ${otherDigest}`),
  },
  // Redirects and authentication.
  {
    name: 'the payload blob redirected (307) to another origin, behind basic auth → Signed, no credentials sent there',
    credentials,
    routes: () =>
      behindBasicAuth({
        ...signatureRoutes(nginx),
        [paths.payload()]: (_req, res) =>
          send(res, 307, '', { location: `${elsewhere.origin}/storage/payload?X-Amz-Signature=abc` }),
      }),
    elsewhere: () => ({ 'GET /storage/payload': (_req, res) => send(res, 200, payload) }),
    want: signed,
    then: () => {
      const blobAuth = registry.requests
        .filter((r) => `GET ${r.url}` === paths.payload())
        .map((r) => r.headers.authorization);
      expect(blobAuth).toEqual([basic]);
      expect(elsewhere.requests).toHaveLength(1);
      expect(elsewhere.requests[0]?.headers.authorization).toBeUndefined();
    },
  },
  {
    name: '401 always, no challenge, anonymous → Checking (AuthFailed)',
    routes: () => ({ '*': status(401) }),
    want: checking('AuthFailed', 'HTTP 401'),
  },
  {
    name: '401 always with a basic challenge, credentials refused → Checking (AuthFailed)',
    credentials,
    routes: () => ({ '*': status(401, { 'www-authenticate': 'Basic realm="hostile"' }) }),
    want: checking('AuthFailed', 'HTTP 401'),
  },
  {
    name: '401 always with a bearer challenge, the token it hands out refused → Checking (AuthFailed)',
    credentials,
    routes: () => ({
      '*': status(401, { 'www-authenticate': `Bearer realm="${elsewhere.origin}/token",service="hostile"` }),
    }),
    elsewhere: () => ({ 'GET /token': (_req, res) => json(res, 200, { token: 'worthless' }) }),
    want: checking('AuthFailed', 'HTTP 401'),
  },
  {
    name: '403 always → Checking (AuthFailed)',
    routes: () => ({ '*': status(403) }),
    want: checking('AuthFailed', 'HTTP 403'),
  },
  // Rate limits.
  {
    name: '429 with Retry-After: 1 once (the .sig manifest and the referrers API), then OK → Signed',
    routes: () => ({
      ...signatureRoutes(nginx),
      [paths.signatureManifest]: throttledOnce(serveManifest(nginx.manifest)),
      [paths.referrersApi]: throttledOnce(notFound),
    }),
    want: signed,
    then: () => expect(registry.count(paths.signatureManifest)).toBe(2),
  },
  {
    name: '429 always → Checking (RateLimited), after maxRetries',
    routes: () => ({ '*': status(429, { 'retry-after': '0' }) }),
    want: checking('RateLimited', 'HTTP 429'),
    then: () => expect(registry.count(paths.signatureManifest)).toBe(2),
  },
  // The referrers places.
  {
    name: 'the referrers API and tag 500 while the .sig signature is fine → Signed (a verified signature wins)',
    routes: () => ({
      ...signatureRoutes(nginx),
      [paths.referrersApi]: status(500),
      [paths.referrersTag]: status(500),
    }),
    want: signed,
  },
  {
    name: 'the referrers API never answers while the .sig signature is fine → Signed',
    routes: () => ({ ...signatureRoutes(nginx), [paths.referrersApi]: silence }),
    want: signed,
  },
  {
    name: 'the referrers API 500 and no .sig (404) → Checking (RegistryError), not Unsigned',
    routes: () => ({ [paths.referrersApi]: status(500) }),
    want: checking('RegistryError', 'ReferrersAPI: referrers: HTTP 500'),
  },
  {
    name: 'no referrers API, the referrers tag 500 and no .sig → Checking (RegistryError), not Unsigned',
    routes: () => ({ [paths.referrersTag]: status(500) }),
    want: checking(
      'RegistryError',
      `ReferrersTag: manifest ${paths.referrersTag.split('/').pop()}: HTTP 500`,
    ),
  },
  {
    name: 'every endpoint 404 → Unsigned, having looked in all three places',
    routes: () => ({}),
    want: { posture: 'Unsigned' },
    then: (j) => {
      expect(j.note).toContain('image manifest is not available');
      expect(new Set(registry.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`))).toEqual(
        new Set([paths.signatureManifest, paths.referrersApi, paths.referrersTag, paths.imageManifest]),
      );
    },
  },
  {
    name: 'an unsigned index listing a platform digest of an unsupported algorithm → Checking (RegistryError)',
    digest: digestOf(md5Index),
    routes: () => ({ [paths.manifest(digestOf(md5Index))]: serveManifest(md5Index, mediaTypes.ociIndex) }),
    want: checking('RegistryError', 'Manifest: the index lists platform "md5:000'),
  },
  // The referrers tag fallback pointing at garbage. Content that does not hash to the digest the index
  // names is a lie: Invalid. Content that does hash to it but is no manifest is unreadable: it reaches
  // readPlace as a BadResponse, which judge-digest maps to Checking (RegistryError).
  {
    name: 'the referrers tag index pointing at garbage that hashes to its digest → Checking (RegistryError)',
    routes: () => ({
      ...referrersTagIndex({ digest: digestOf(garbage), size: garbage.length }),
      [paths.manifest(digestOf(garbage))]: serveManifest(garbage),
    }),
    want: checking('RegistryError', 'not valid JSON'),
  },
  {
    name: 'the referrers tag index pointing at garbage that does not hash to its digest → Invalid',
    routes: () => ({
      ...referrersTagIndex({ digest: lie, size: garbage.length }),
      [paths.manifest(lie)]: serveManifest(garbage),
    }),
    want: {
      posture: 'Invalid',
      location: 'ReferrersTag',
      detail: expect.stringContaining('content hashes to another digest'),
    },
  },
  {
    name: 'the referrers tag index pointing at garbage beside the valid .sig signature → Signed',
    routes: () => ({
      ...signatureRoutes(nginx),
      ...referrersTagIndex({ digest: lie, size: garbage.length }),
      [paths.manifest(lie)]: serveManifest(garbage),
    }),
    want: signed,
  },
];

describe('judgeDigest against a hostile registry serving a real signature', () => {
  it.each(cases)('$name', async (c) => {
    registry.serve(c.routes());
    elsewhere.serve(c.elsewhere?.() ?? {});
    const judgement = await judge(c);
    expect(judgement, JSON.stringify(judgement)).toMatchObject({
      digest: c.digest ?? (c.fixture ?? nginx).digest,
      ...c.want,
    });
    if (judgement.posture !== 'Signed') expect(judgement.signers).toEqual([]);
    c.then?.(judgement);
  });

  it('a 50 MB .sig manifest → Checking (TooLarge); memory stays bounded and the client hangs up early', async () => {
    const { handler, written } = fiftyMegabytes({});
    registry.serve({ ...signatureRoutes(nginx), [paths.signatureManifest]: handler });
    const rssBefore = process.memoryUsage().rss;
    const judgement = await judge();
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(judgement, JSON.stringify(judgement)).toMatchObject(
      checking('TooLarge', `larger than ${MiB} bytes`),
    );
    // The server saw the connection close after the cap plus what socket buffers hold.
    const sent = await written;
    expect(sent).toBeLessThan(8 * MiB);
    expect(rssGrowth).toBeLessThan(16 * MiB);
  });
});
