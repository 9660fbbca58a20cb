import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RegistryClientOptions } from '../../../src/registry/registry-client.ts';
import { ReferrersTagError, RegistryClient } from '../../../src/registry/registry-client.ts';
import type { RegistryRequestInfo } from '../../../src/registry/http-exchange.ts';
import { digestOf } from '../../../src/registry/digest.ts';
import { mediaTypes } from '../../../src/registry/media-types.ts';
import { RegistryError } from '../../../src/registry/registry-error.ts';
import type { RegistryErrorKind } from '../../../src/registry/registry-error.ts';
import type { Handler, HostileRegistry } from './hostile-registry.ts';
import { fiftyMegabytes, json, send, startHostileRegistry } from './hostile-registry.ts';

// The client against a registry that misbehaves in every way the client must survive.

let registry: HostileRegistry;
let elsewhere: HostileRegistry; // another origin: blob storage, a token service
beforeAll(async () => {
  [registry, elsewhere] = await Promise.all([startHostileRegistry(), startHostileRegistry()]);
});
afterAll(async () => {
  await Promise.all([registry.close(), elsewhere.close()]);
});
beforeEach(() => {
  registry.serve({});
  elsewhere.serve({});
});

const MiB = 1024 * 1024;
const repo = () => ({ registry: registry.host, repository: 'acme/app' });
const client = (options: RegistryClientOptions = {}) =>
  new RegistryClient({
    insecureRegistries: [registry.host, elsewhere.host],
    ...options,
    limits: { connectTimeoutMs: 2_000, requestTimeoutMs: 5_000, retryBaseDelayMs: 1, ...options.limits },
  });

async function rejection(promise: Promise<unknown>): Promise<RegistryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryError);
  return error as RegistryError;
}
async function expectKind(promise: Promise<unknown>, kind: RegistryErrorKind): Promise<RegistryError> {
  const error = await rejection(promise);
  expect(error.kind, error.message).toBe(kind);
  return error;
}

const emptyConfig = { mediaType: mediaTypes.ociEmpty, digest: digestOf(Buffer.from('{}')), size: 2 };
const image = { schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: emptyConfig, layers: [] };
const imageBytes = Buffer.from(JSON.stringify(image));
const imageDigest = digestOf(imageBytes);
const manifestPath = (reference: string) => `/v2/acme/app/manifests/${reference}`;

const serveBytes =
  (bytes: string | Uint8Array, headers: Record<string, string> = {}, status = 200): Handler =>
  (_req, res) =>
    send(res, status, bytes, { 'content-type': mediaTypes.ociManifest, ...headers });

describe('getManifest', () => {
  it('by tag: computes the digest and checks Docker-Content-Digest', async () => {
    registry.serve({
      [`GET ${manifestPath('v1')}`]: serveBytes(imageBytes, { 'docker-content-digest': imageDigest }),
    });
    const got = await client().getManifest(repo(), 'v1');
    expect(got).toMatchObject({ digest: imageDigest, mediaType: mediaTypes.ociManifest, kind: 'manifest' });
    expect(got.bytes.equals(imageBytes)).toBe(true);
    expect(registry.requests[0]?.headers.accept).toContain(mediaTypes.ociIndex);
    expect(registry.requests[0]?.headers.accept).toContain(
      'application/vnd.docker.distribution.manifest.v2+json',
    );
  });

  it('by digest: returns verified bytes', async () => {
    registry.serve({ [`GET ${manifestPath(imageDigest)}`]: serveBytes(imageBytes) });
    expect((await client().getManifest(repo(), imageDigest)).digest).toBe(imageDigest);
  });

  it('by digest: bytes that hash to something else are a DigestMismatch', async () => {
    const other = Buffer.from(JSON.stringify({ ...image, annotations: { evil: 'yes' } }));
    registry.serve({ [`GET ${manifestPath(imageDigest)}`]: serveBytes(other) });
    await expectKind(client().getManifest(repo(), imageDigest), 'DigestMismatch');
  });

  it('by tag: a Docker-Content-Digest the bytes do not hash to is a DigestMismatch', async () => {
    const lie = `sha256:${'1'.repeat(64)}`;
    registry.serve({
      [`GET ${manifestPath('v1')}`]: serveBytes(imageBytes, { 'docker-content-digest': lie }),
    });
    await expectKind(client().getManifest(repo(), 'v1'), 'DigestMismatch');
  });

  it('parses an index by its mediaType field', async () => {
    const index = { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [{ ...emptyConfig }] };
    registry.serve({
      [`GET ${manifestPath('multi')}`]: serveBytes(JSON.stringify(index), {
        'content-type': 'application/json',
      }),
    });
    const got = await client().getManifest(repo(), 'multi');
    expect(got.kind).toBe('index');
    if (got.kind === 'index') expect(got.manifest.manifests).toHaveLength(1);
  });

  it.each<[string, string | Uint8Array, Record<string, string>]>([
    ['malformed JSON', '{"schemaVersion": 2, "config": ', {}],
    ['JSON that is not an object', '"a string"', {}],
    ['a wrong content type', imageBytes, { 'content-type': 'text/html' }],
    ['a mediaType the content type contradicts', imageBytes, { 'content-type': mediaTypes.ociIndex }],
    ['an unknown mediaType', JSON.stringify({ ...image, mediaType: 'application/x-evil' }), {}],
    ['schema 1', JSON.stringify({ schemaVersion: 1, name: 'acme/app', fsLayers: [] }), {}],
    ['a manifest without layers', JSON.stringify({ ...image, layers: undefined }), {}],
    [
      'a descriptor with a bad digest',
      JSON.stringify({ ...image, config: { ...emptyConfig, digest: 'x' } }),
      {},
    ],
    ['a negative size', JSON.stringify({ ...image, config: { ...emptyConfig, size: -1 } }), {}],
  ])('%s is a BadResponse', async (_name, body, headers) => {
    registry.serve({ [`GET ${manifestPath('v1')}`]: serveBytes(body, headers) });
    await expectKind(client().getManifest(repo(), 'v1'), 'BadResponse');
  });

  it.each<[number, Record<string, string>, RegistryErrorKind]>([
    [500, {}, 'RegistryError'],
    [502, {}, 'RegistryError'],
    [503, {}, 'RegistryError'],
    [400, {}, 'RegistryError'],
    [404, {}, 'NotFound'],
    [403, {}, 'AuthFailed'],
    [401, {}, 'AuthFailed'],
    [401, { 'www-authenticate': 'Basic realm="r"' }, 'AuthFailed'],
    [429, { 'retry-after': '0' }, 'RateLimited'],
    [503, { 'retry-after': '0' }, 'RateLimited'],
  ])('HTTP %i %j is %s', async (status, headers, kind) => {
    registry.serve({
      [`GET ${manifestPath('v1')}`]: (_req, res) => json(res, status, { errors: [] }, headers),
    });
    const error = await expectKind(client().getManifest(repo(), 'v1'), kind);
    expect(error.status).toBe(status);
  });

  it('a legacy cosign signature tag that does not exist is NotFound, and does not exist', async () => {
    const tag = `sha256-${imageDigest.slice(7)}.sig`;
    await expectKind(client().getManifest(repo(), tag), 'NotFound');
    expect(await client().manifestExists(repo(), tag)).toBe(false);
    expect(registry.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET ${manifestPath(tag)}`,
      `HEAD ${manifestPath(tag)}`,
    ]);
  });

  it('refuses references that are neither tags nor digests before any request', async () => {
    await expect(client().getManifest(repo(), '../../etc')).rejects.toBeInstanceOf(RangeError);
    await expect(
      client().getManifest({ registry: registry.host, repository: 'Acme/../x' }, 'v1'),
    ).rejects.toThrow(RangeError);
    expect(registry.requests).toHaveLength(0);
  });
});

describe('timeouts and unreachable registries', () => {
  it('a request that is never answered is a Timeout', async () => {
    registry.serve({ [`GET ${manifestPath('v1')}`]: () => undefined });
    const started = performance.now();
    const error = await expectKind(
      client({ limits: { connectTimeoutMs: 200 } }).getManifest(repo(), 'v1'),
      'Timeout',
    );
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error.message).toContain('no answer within 200 ms');
  });

  it('a body dripping slower than the total timeout is a Timeout', async () => {
    registry.serve({
      [`GET ${manifestPath('v1')}`]: (_req, res) => {
        res.writeHead(200, { 'content-type': mediaTypes.ociManifest });
        res.write('{');
        const drip = setInterval(() => res.write(' '), 20);
        res.on('close', () => clearInterval(drip));
      },
    });
    const started = performance.now();
    const error = await expectKind(
      client({ limits: { requestTimeoutMs: 300 } }).getManifest(repo(), 'v1'),
      'Timeout',
    );
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error.message).toContain('not done within 300 ms');
  });

  it('a closed port is Unreachable', async () => {
    const gone = await startHostileRegistry();
    await gone.close();
    const error = await expectKind(
      client({ insecureRegistries: [gone.host] }).getManifest({ registry: gone.host, repository: 'a' }, 'v1'),
      'Unreachable',
    );
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('speaks https to a registry not configured insecure, so never plain HTTP', async () => {
    const strict = new RegistryClient({ limits: { connectTimeoutMs: 2_000 } });
    const error = await rejection(strict.getManifest(repo(), 'v1'));
    expect(['Unreachable', 'Timeout']).toContain(error.kind);
    expect(registry.requests).toHaveLength(0);
  });

  it('an abort by the caller rejects with its reason', async () => {
    registry.serve({ [`GET ${manifestPath('v1')}`]: () => undefined });
    const controller = new AbortController();
    const pending = client().getManifest(repo(), 'v1', { signal: controller.signal });
    const reason = new Error('shutting down');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('size caps', () => {
  it('a 50 MB manifest is TooLarge, and the client stops reading soon after the cap', async () => {
    const { handler, written } = fiftyMegabytes({});
    registry.serve({ [`GET ${manifestPath('huge')}`]: handler });
    const rssBefore = process.memoryUsage().rss;
    const error = await expectKind(client().getManifest(repo(), 'huge'), 'TooLarge');
    expect(error.message).toContain(`larger than ${4 * MiB} bytes`);
    // The server could write the cap plus what socket buffers hold, nothing like 50 MB.
    const bytes = await written;
    expect(bytes).toBeLessThan(16 * MiB);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(40 * MiB);
  });

  it('a Content-Length above the cap is TooLarge before the body is read', async () => {
    const { handler, written } = fiftyMegabytes({ 'content-length': String(50 * MiB) });
    registry.serve({ [`GET ${manifestPath('huge')}`]: handler });
    await expectKind(client().getManifest(repo(), 'huge'), 'TooLarge');
    expect(await written).toBeLessThan(16 * MiB);
  });

  it('a small Content-Length does not let a longer body through', async () => {
    registry.serve({
      [`GET ${manifestPath('v1')}`]: (_req, res) => {
        // No framing but the connection: the body runs on until close, past what the cap allows.
        res.socket?.write(
          `HTTP/1.1 200 OK\r\ncontent-type: ${mediaTypes.ociManifest}\r\nconnection: close\r\n\r\n`,
        );
        res.socket?.end(Buffer.alloc(2 * 1024, 0x20));
      },
    });
    await expectKind(client({ limits: { maxManifestBytes: 1024 } }).getManifest(repo(), 'v1'), 'TooLarge');
  });
});

describe('getBlob', () => {
  const content = Buffer.from('{"payload":"a signature"}');
  const descriptor = {
    mediaType: 'application/octet-stream',
    digest: digestOf(content),
    size: content.length,
  };
  const blobPath = `/v2/acme/app/blobs/${descriptor.digest}`;

  it('returns content matching its descriptor', async () => {
    registry.serve({ [`GET ${blobPath}`]: serveBytes(content) });
    expect((await client().getBlob(repo(), descriptor)).equals(content)).toBe(true);
  });

  it.each<[string, Buffer]>([
    ['content whose digest lies', Buffer.from('{"payload":"a forgery!!"}')],
    ['fewer bytes than the descriptor', content.subarray(1)],
    ['more bytes than the descriptor', Buffer.concat([content, Buffer.from(' ')])],
  ])('%s is a DigestMismatch', async (_name, served) => {
    registry.serve({ [`GET ${blobPath}`]: serveBytes(served) });
    await expectKind(client().getBlob(repo(), descriptor), 'DigestMismatch');
  });

  it('a descriptor larger than the blob cap is TooLarge without a request', async () => {
    await expectKind(client().getBlob(repo(), { ...descriptor, size: 17 * MiB }), 'TooLarge');
    expect(registry.requests).toHaveLength(0);
  });

  it('follows a redirect to another origin without the Authorization header', async () => {
    const credentials = { username: 'robot', password: 's3cret' };
    const basic = `Basic ${Buffer.from('robot:s3cret').toString('base64')}`;
    registry.serve({
      [`GET ${blobPath}`]: (req, res) => {
        if (req.headers.authorization !== basic)
          return json(res, 401, {}, { 'www-authenticate': 'Basic realm="registry"' });
        send(res, 307, '', { location: `${elsewhere.origin}/storage/blob?X-Signature=abc` });
      },
    });
    elsewhere.serve({
      'GET /storage/blob': serveBytes(content, { 'content-type': 'application/octet-stream' }),
    });
    const got = await client({ credentials: () => Promise.resolve(credentials) }).getBlob(repo(), descriptor);
    expect(got.equals(content)).toBe(true);
    expect(registry.requests.map((r) => r.headers.authorization)).toEqual([undefined, basic]);
    expect(elsewhere.requests).toHaveLength(1);
    expect(elsewhere.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('keeps the Authorization header on a redirect within the registry', async () => {
    const basic = `Basic ${Buffer.from('robot:s3cret').toString('base64')}`;
    registry.serve({
      [`GET ${blobPath}`]: (req, res) => {
        if (req.headers.authorization !== basic)
          return json(res, 401, {}, { 'www-authenticate': 'Basic realm="registry"' });
        send(res, 302, '', { location: '/moved' });
      },
      'GET /moved': (req, res) =>
        req.headers.authorization === basic ? send(res, 200, content) : json(res, 401, {}),
    });
    const credentials = () => Promise.resolve({ username: 'robot', password: 's3cret' });
    expect((await client({ credentials }).getBlob(repo(), descriptor)).equals(content)).toBe(true);
  });

  it('a redirect loop ends after maxRedirects', async () => {
    registry.serve({ [`GET ${blobPath}`]: (_req, res) => send(res, 307, '', { location: blobPath }) });
    const error = await expectKind(
      client({ limits: { maxRedirects: 5 } }).getBlob(repo(), descriptor),
      'RegistryError',
    );
    expect(error.message).toContain('more than 5 redirects');
    expect(registry.requests).toHaveLength(6);
  });

  it('a cross-origin redirect loop ends too', async () => {
    registry.serve({
      [`GET ${blobPath}`]: (_req, res) => send(res, 302, '', { location: `${elsewhere.origin}/b` }),
    });
    elsewhere.serve({
      'GET /b': (_req, res) => send(res, 302, '', { location: `${registry.origin}${blobPath}` }),
    });
    await expectKind(client().getBlob(repo(), descriptor), 'RegistryError');
    expect(registry.requests.length + elsewhere.requests.length).toBe(6);
  });

  it('refuses a redirect to plain HTTP on a host not configured insecure', async () => {
    registry.serve({
      [`GET ${blobPath}`]: (_req, res) => send(res, 302, '', { location: `${elsewhere.origin}/b` }),
    });
    const strict = new RegistryClient({ insecureRegistries: [registry.host] });
    await expectKind(strict.getBlob(repo(), descriptor), 'BadResponse');
    expect(elsewhere.requests).toHaveLength(0);
  });
});

describe('rate limits', () => {
  it('429 with Retry-After: 1, then success, succeeds after the wait', async () => {
    let calls = 0;
    registry.serve({
      [`GET ${manifestPath('v1')}`]: (req, res) =>
        ++calls === 1
          ? json(res, 429, {}, { 'retry-after': '1' })
          : serveBytes(imageBytes)(req, res, new URL('x:/')),
    });
    const started = performance.now();
    expect((await client().getManifest(repo(), 'v1')).digest).toBe(imageDigest);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(registry.requests).toHaveLength(2);
  });

  it('persistent 429 is RateLimited after maxRetries', async () => {
    registry.serve({
      [`GET ${manifestPath('v1')}`]: (_req, res) => json(res, 429, {}, { 'retry-after': '0' }),
    });
    await expectKind(client({ limits: { maxRetries: 2 } }).getManifest(repo(), 'v1'), 'RateLimited');
    expect(registry.requests).toHaveLength(3);
  });

  it('429 without Retry-After backs off and retries', async () => {
    registry.serve({ [`GET ${manifestPath('v1')}`]: (_req, res) => json(res, 429, {}) });
    await expectKind(client({ limits: { maxRetries: 2 } }).getManifest(repo(), 'v1'), 'RateLimited');
    expect(registry.requests).toHaveLength(3);
  });

  it('a Retry-After longer than the wait cap is not waited for', async () => {
    registry.serve({
      [`GET ${manifestPath('v1')}`]: (_req, res) => json(res, 429, {}, { 'retry-after': '3600' }),
    });
    await expectKind(client().getManifest(repo(), 'v1'), 'RateLimited');
    expect(registry.requests).toHaveLength(1);
  });
});

describe('authentication', () => {
  const credentials = { username: 'robot', password: 's3cret' };
  const basic = `Basic ${Buffer.from('robot:s3cret').toString('base64')}`;

  /** A registry demanding bearer tokens from a token service on the other origin. */
  function tokenDance(tokenField: 'token' | 'access_token' = 'token'): void {
    const challenge = `Bearer realm="${elsewhere.origin}/token",service="hostile",scope="repository:acme/app:pull"`;
    registry.serve({
      [`GET ${manifestPath('v1')}`]: (req, res) =>
        req.headers.authorization === 'Bearer t0ken'
          ? serveBytes(imageBytes)(req, res, new URL('x:/'))
          : json(res, 401, {}, { 'www-authenticate': challenge }),
    });
    elsewhere.serve({
      'GET /token': (req, res, url) => {
        const ok =
          req.headers.authorization === basic &&
          url.searchParams.get('service') === 'hostile' &&
          url.searchParams.getAll('scope').includes('repository:acme/app:pull');
        if (!ok) return json(res, 401, { details: 'incorrect username or password' });
        json(res, 200, { [tokenField]: 't0ken', expires_in: 300 });
      },
    });
  }

  it.each(['token', 'access_token'] as const)(
    'does the token dance with basic credentials (%s), and caches the token',
    async (field) => {
      tokenDance(field);
      const registryClient = client({ credentials: () => Promise.resolve(credentials) });
      await registryClient.getManifest(repo(), 'v1');
      await registryClient.getManifest(repo(), 'v1');
      expect(elsewhere.count('GET /token')).toBe(1);
      // anonymous → 401 → token → retry; then the cached token up front
      expect(registry.requests.map((r) => r.headers.authorization)).toEqual([
        undefined,
        'Bearer t0ken',
        'Bearer t0ken',
      ]);
    },
  );

  it('concurrent requests share one token request', async () => {
    tokenDance();
    const registryClient = client({ credentials: () => Promise.resolve(credentials) });
    await Promise.all(Array.from({ length: 5 }, () => registryClient.getManifest(repo(), 'v1')));
    expect(elsewhere.count('GET /token')).toBe(1);
  });

  it('a cached token the registry refuses is replaced', async () => {
    tokenDance();
    const registryClient = client({ credentials: () => Promise.resolve(credentials) });
    await registryClient.getManifest(repo(), 'v1');
    // The registry now wants another token, which the token service hands out.
    const challenge = `Bearer realm="${elsewhere.origin}/token",service="hostile"`;
    registry.serve({
      [`GET ${manifestPath('v1')}`]: (req, res) =>
        req.headers.authorization === 'Bearer fresh'
          ? serveBytes(imageBytes)(req, res, new URL('x:/'))
          : json(res, 401, {}, { 'www-authenticate': challenge }),
    });
    elsewhere.serve({ 'GET /token': (_req, res) => json(res, 200, { token: 'fresh' }) });
    await registryClient.getManifest(repo(), 'v1');
    expect(registry.requests.map((r) => r.headers.authorization)).toEqual(['Bearer t0ken', 'Bearer fresh']);
    expect(elsewhere.count('GET /token')).toBe(1);
  });

  it('credentials of another client share the challenge but not the token', async () => {
    tokenDance();
    const first = client({ credentials: () => Promise.resolve(credentials) });
    await first.getManifest(repo(), 'v1');
    const other = first.withCredentials(() => Promise.resolve({ username: 'robot', password: 'hunter2' }));
    await expectKind(other.getManifest(repo(), 'v1'), 'AuthFailed');
    expect(elsewhere.count('GET /token')).toBe(2);
  });

  it('asks for a token per repository, up front once the challenge is known', async () => {
    const challenge = (repository: string) =>
      `Bearer realm="${elsewhere.origin}/token",service="hostile",scope="repository:${repository}:pull"`;
    const scopes: string[][] = [];
    registry.serve({
      'GET /v2/acme/app/manifests/v1': (req, res) =>
        req.headers.authorization === 'Bearer acme/app'
          ? serveBytes(imageBytes)(req, res, new URL('x:/'))
          : json(res, 401, {}, { 'www-authenticate': challenge('acme/app') }),
      'GET /v2/acme/other/manifests/v1': (req, res) =>
        req.headers.authorization === 'Bearer acme/other'
          ? serveBytes(imageBytes)(req, res, new URL('x:/'))
          : json(res, 401, {}, { 'www-authenticate': challenge('acme/other') }),
    });
    elsewhere.serve({
      'GET /token': (_req, res, url) => {
        const asked = url.searchParams.getAll('scope');
        scopes.push(asked);
        json(res, 200, { token: asked[0]?.split(':')[1] });
      },
    });
    const registryClient = client();
    await registryClient.getManifest(repo(), 'v1');
    await registryClient.getManifest({ registry: registry.host, repository: 'acme/other' }, 'v1');
    expect(scopes).toEqual([['repository:acme/app:pull'], ['repository:acme/other:pull']]);
    expect(registry.requests.map((r) => `${r.url} ${r.headers.authorization}`)).toEqual([
      '/v2/acme/app/manifests/v1 undefined',
      '/v2/acme/app/manifests/v1 Bearer acme/app',
      '/v2/acme/other/manifests/v1 Bearer acme/other',
    ]);
  });

  it('wrong credentials are AuthFailed, and the message holds no secret', async () => {
    tokenDance();
    const wrong = client({ credentials: () => Promise.resolve({ username: 'robot', password: 'hunter2' }) });
    const error = await expectKind(wrong.getManifest(repo(), 'v1'), 'AuthFailed');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain(Buffer.from('robot:hunter2').toString('base64'));
  });

  it('no credentials at a registry demanding them is AuthFailed', async () => {
    tokenDance();
    await expectKind(client().getManifest(repo(), 'v1'), 'AuthFailed');
  });

  it('basic authentication, with the scheme remembered for the next request', async () => {
    registry.serve({
      [`GET ${manifestPath('v1')}`]: (req, res) =>
        req.headers.authorization === basic
          ? serveBytes(imageBytes)(req, res, new URL('x:/'))
          : json(res, 401, {}, { 'www-authenticate': 'Basic realm="registry"' }),
    });
    const registryClient = client({ credentials: () => Promise.resolve(credentials) });
    await registryClient.getManifest(repo(), 'v1');
    await registryClient.getManifest(repo(), 'v1');
    expect(registry.requests.map((r) => r.headers.authorization)).toEqual([undefined, basic, basic]);
  });

  it('wrong basic credentials are AuthFailed after one retry', async () => {
    registry.serve({
      [`GET ${manifestPath('v1')}`]: (_req, res) =>
        json(res, 401, {}, { 'www-authenticate': 'Basic realm="r"' }),
    });
    const wrong = client({ credentials: () => Promise.resolve({ username: 'robot', password: 'nope' }) });
    await expectKind(wrong.getManifest(repo(), 'v1'), 'AuthFailed');
    expect(registry.requests).toHaveLength(2);
  });

  it('a registry token is sent as a bearer token as is', async () => {
    registry.serve({
      [`GET ${manifestPath('v1')}`]: (req, res) =>
        req.headers.authorization === 'Bearer pat-123'
          ? serveBytes(imageBytes)(req, res, new URL('x:/'))
          : json(res, 401, {}),
    });
    const registryClient = client({ credentials: () => Promise.resolve({ registryToken: 'pat-123' }) });
    expect((await registryClient.getManifest(repo(), 'v1')).digest).toBe(imageDigest);
  });

  it.each<[string, unknown]>([
    ['no token', { expires_in: 300 }],
    ['malformed JSON', '{"token":'],
    ['a token with a newline', { token: 'a\r\nX-Injected: 1' }],
  ])('a token response with %s is a BadResponse', async (_name, body) => {
    registry.serve({
      [`GET ${manifestPath('v1')}`]: (_req, res) =>
        json(res, 401, {}, { 'www-authenticate': `Bearer realm="${elsewhere.origin}/token"` }),
    });
    elsewhere.serve({
      'GET /token': (_req, res) => (typeof body === 'string' ? send(res, 200, body) : json(res, 200, body)),
    });
    await expectKind(client().getManifest(repo(), 'v1'), 'BadResponse');
  });

  it('a credential provider that fails is AuthFailed', async () => {
    const failing = client({ credentials: () => Promise.reject(new Error('secret unreadable')) });
    await expectKind(failing.getManifest(repo(), 'v1'), 'AuthFailed');
  });
});

describe('listReferrers', () => {
  const referrersPath = `/v2/acme/app/referrers/${imageDigest}`;
  const signature = {
    mediaType: mediaTypes.ociManifest,
    digest: `sha256:${'a'.repeat(64)}`,
    size: 100,
    artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  };
  const sbom = { ...signature, digest: `sha256:${'b'.repeat(64)}`, artifactType: 'application/spdx+json' };
  const indexOf = (manifests: unknown[]) => ({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests });
  const serveIndex =
    (manifests: unknown[], headers: Record<string, string> = {}): Handler =>
    (_req, res) =>
      json(res, 200, indexOf(manifests), { 'content-type': mediaTypes.ociIndex, ...headers });

  it('reads the referrers API, following Link, filtering by artifactType when the registry did not', async () => {
    registry.serve({
      [`GET ${referrersPath}`]: (req, res, url) =>
        url.searchParams.get('page') === '2'
          ? serveIndex([sbom])(req, res, url)
          : serveIndex([signature, sbom], { link: `<${referrersPath}?page=2>; rel="next"` })(req, res, url),
    });
    const got = await client().listReferrers(repo(), imageDigest, signature.artifactType);
    expect(got).toEqual({ descriptors: [signature], via: 'ReferrersAPI' });
    expect(registry.requests[0]?.url).toContain(`artifactType=${encodeURIComponent(signature.artifactType)}`);
    expect(registry.requests).toHaveLength(2);
  });

  it('too many pages is TooLarge: a list cut short could hide a signature', async () => {
    registry.serve({
      [`GET ${referrersPath}`]: serveIndex([signature], { link: `<${referrersPath}?again>; rel="next"` }),
    });
    await expectKind(
      client({ limits: { maxReferrersPages: 3 } }).listReferrers(repo(), imageDigest),
      'TooLarge',
    );
    expect(registry.requests).toHaveLength(3);
  });

  it('falls back to the referrers tag when the API answers 404', async () => {
    const tag = `sha256-${imageDigest.slice('sha256:'.length)}`;
    registry.serve({
      [`GET ${manifestPath(tag)}`]: (_req, res) =>
        json(res, 200, indexOf([signature, sbom]), { 'content-type': mediaTypes.ociIndex }),
    });
    const got = await client().listReferrers(repo(), imageDigest, signature.artifactType);
    expect(got).toEqual({ descriptors: [signature], via: 'ReferrersTag' });
    expect(registry.requests.map((r) => r.url.split('?')[0])).toEqual([referrersPath, manifestPath(tag)]);
  });

  it('remembers a registry without the API and goes straight to the tag next time, for every credential', async () => {
    const tag = `sha256-${imageDigest.slice('sha256:'.length)}`;
    registry.serve({
      [`GET ${manifestPath(tag)}`]: (_req, res) =>
        json(res, 200, indexOf([signature]), { 'content-type': mediaTypes.ociIndex }),
    });
    const first = client();
    await first.listReferrers(repo(), imageDigest);
    await first.withCredentials(() => Promise.resolve(undefined)).listReferrers(repo(), imageDigest);
    expect(registry.requests.map((r) => r.url.split('?')[0])).toEqual([
      referrersPath,
      manifestPath(tag),
      manifestPath(tag),
    ]);
  });

  it('judgements that start at once probe the API once, then all read the tag', async () => {
    const first = client();
    const got = await Promise.all(Array.from({ length: 8 }, () => first.listReferrers(repo(), imageDigest)));
    expect(got.every((g) => g.via === 'ReferrersTag')).toBe(true);
    const paths = registry.requests.map((r) => r.url.split('?')[0]);
    expect(paths.filter((p) => p === referrersPath)).toHaveLength(1);
    expect(paths).toHaveLength(9);
  });

  it('a probe that learns nothing leaves the others to ask on their own', async () => {
    let answered = 0;
    registry.serve({
      [`GET ${referrersPath}`]: (req, res, url) => {
        if (answered++ === 0) return json(res, 500, {}); // the probe: it learns nothing
        return serveIndex([signature])(req, res, url);
      },
    });
    const shared = client();
    const settled = await Promise.allSettled(
      Array.from({ length: 4 }, () => shared.listReferrers(repo(), imageDigest)),
    );
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(registry.requests).toHaveLength(4);
  });

  it('a failure to read the referrers tag says so (ReferrersTagError)', async () => {
    const tag = `sha256-${imageDigest.slice('sha256:'.length)}`;
    registry.serve({ [`GET ${manifestPath(tag)}`]: (_req, res) => json(res, 500, {}) });
    const error = await expectKind(client().listReferrers(repo(), imageDigest), 'RegistryError');
    expect(error).toBeInstanceOf(ReferrersTagError);
  });

  it('no API and no referrers tag: none, via the tag', async () => {
    expect(await client().listReferrers(repo(), imageDigest)).toEqual({
      descriptors: [],
      via: 'ReferrersTag',
    });
  });

  it('an answer that is not an OCI index is a BadResponse', async () => {
    registry.serve({
      [`GET ${referrersPath}`]: (_req, res) => send(res, 200, '<html>', { 'content-type': 'text/html' }),
    });
    await expectKind(client().listReferrers(repo(), imageDigest), 'BadResponse');
  });

  it('a 500 from the API is a RegistryError, not a reason to guess', async () => {
    registry.serve({ [`GET ${referrersPath}`]: (_req, res) => json(res, 500, {}) });
    await expectKind(client().listReferrers(repo(), imageDigest), 'RegistryError');
  });
});

describe('resolveTag', () => {
  it('takes HEAD’s Docker-Content-Digest', async () => {
    registry.serve({
      [`HEAD ${manifestPath('v1')}`]: (_req, res) =>
        send(res, 200, '', { 'docker-content-digest': imageDigest, 'content-type': mediaTypes.ociManifest }),
    });
    expect(await client().resolveTag(repo(), 'v1')).toEqual({
      digest: imageDigest,
      mediaType: mediaTypes.ociManifest,
    });
    expect(registry.requests).toHaveLength(1);
  });

  it('falls back to GET when HEAD gives no digest', async () => {
    registry.serve({
      [`HEAD ${manifestPath('v1')}`]: (_req, res) => send(res, 200, ''),
      [`GET ${manifestPath('v1')}`]: serveBytes(imageBytes),
    });
    expect((await client().resolveTag(repo(), 'v1')).digest).toBe(imageDigest);
    expect(registry.requests.map((r) => r.method)).toEqual(['HEAD', 'GET']);
  });

  it('a tag that does not exist is NotFound', async () => {
    await expectKind(client().resolveTag(repo(), 'nope'), 'NotFound');
  });
});

describe('listTags', () => {
  const tagsPath = '/v2/acme/app/tags/list';

  it('follows Link at most maxPages times', async () => {
    registry.serve({
      [`GET ${tagsPath}`]: (_req, res, url) => {
        const page = Number(url.searchParams.get('last') ?? '0');
        json(
          res,
          200,
          { name: 'acme/app', tags: [`t${page + 1}`, `t${page + 2}`] },
          {
            link: `<${tagsPath}?n=2&last=${page + 2}>; rel="next"`,
          },
        );
      },
    });
    const got = await client().listTags(repo(), { pageSize: 2, maxPages: 3 });
    expect(got).toEqual({ tags: ['t1', 't2', 't3', 't4', 't5', 't6'], truncated: true });
    expect(registry.requests.map((r) => r.url)).toEqual([
      `${tagsPath}?n=2`,
      `${tagsPath}?n=2&last=2`,
      `${tagsPath}?n=2&last=4`,
    ]);
  });

  it('stops at the last page; tags: null is no tags', async () => {
    registry.serve({ [`GET ${tagsPath}`]: (_req, res) => json(res, 200, { name: 'acme/app', tags: null }) });
    expect(await client().listTags(repo())).toEqual({ tags: [], truncated: false });
  });

  it('refuses a next page on another origin', async () => {
    registry.serve({
      [`GET ${tagsPath}`]: (_req, res) =>
        json(
          res,
          200,
          { name: 'acme/app', tags: ['a'] },
          { link: `<${elsewhere.origin}${tagsPath}>; rel="next"` },
        ),
    });
    await expectKind(client().listTags(repo()), 'BadResponse');
    expect(elsewhere.requests).toHaveLength(0);
  });
});

describe('limits and counting', () => {
  it('keeps at most maxConcurrentPerRegistry requests in flight per registry', async () => {
    let inFlight = 0;
    let most = 0;
    registry.serve({
      [`GET ${manifestPath('v1')}`]: (req, res) => {
        most = Math.max(most, ++inFlight);
        setTimeout(() => {
          inFlight--;
          serveBytes(imageBytes)(req, res, new URL('x:/'));
        }, 10);
      },
    });
    const limited = client({ limits: { maxConcurrentPerRegistry: 3 } });
    await Promise.all(Array.from({ length: 12 }, () => limited.getManifest(repo(), 'v1')));
    expect(most).toBeLessThanOrEqual(3);
    expect(registry.requests).toHaveLength(12);
  });

  it('reports every request to the hook, redirect hops and token requests included', async () => {
    const seen: RegistryRequestInfo[] = [];
    registry.serve({
      [`GET ${manifestPath('v1')}`]: (_req, res) => send(res, 307, '', { location: `${elsewhere.origin}/m` }),
    });
    elsewhere.serve({ 'GET /m': serveBytes(imageBytes) });
    await client({ onRequest: (info) => seen.push(info) }).getManifest(repo(), 'v1');
    await expectKind(
      client({ onRequest: (info) => seen.push(info) }).getManifest(repo(), 'v1', {
        signal: AbortSignal.abort(new RegistryError('Timeout', 'x')),
      }),
      'Timeout',
    );
    expect(seen).toEqual([
      { registry: registry.host, host: registry.host, method: 'GET', status: 307 },
      { registry: registry.host, host: elsewhere.host, method: 'GET', status: 200 },
    ]);
  });

  it('a hook that throws does not break requests', async () => {
    registry.serve({ [`GET ${manifestPath('v1')}`]: serveBytes(imageBytes) });
    const throwing = client({
      onRequest: () => {
        throw new Error('metrics down');
      },
    });
    expect((await throwing.getManifest(repo(), 'v1')).digest).toBe(imageDigest);
  });
});
