// nodeHttp: keep-alive connections reused, a connection the registry closed retried once, bodies
// read under a cap or dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHttp } from '../../../src/registry/http-client.ts';
import type { HttpAnswer } from '../../../src/registry/http-client.ts';
import { RegistryError } from '../../../src/registry/registry-error.ts';
import type { HostileRegistry } from './hostile-registry.ts';
import { json, send, startHostileRegistry } from './hostile-registry.ts';

let registry: HostileRegistry;
beforeAll(async () => {
  registry = await startHostileRegistry();
});
afterAll(() => registry.close());

const get = (path: string, method: 'GET' | 'HEAD' = 'GET'): Promise<HttpAnswer> =>
  nodeHttp({
    method,
    url: new URL(`${registry.origin}${path}`),
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(2_000),
  });

describe('nodeHttp', () => {
  it('reuses the connection for the next request, also after a dropped short error body', async () => {
    const ports: (number | undefined)[] = [];
    registry.serve({
      'GET /ok': (req, res) => {
        ports.push(req.socket.remotePort);
        send(res, 200, 'hello', { 'content-type': 'text/plain', 'x-twice': 'a' });
      },
      'GET /missing': (req, res) => {
        ports.push(req.socket.remotePort);
        json(res, 404, { errors: [{ code: 'NOT_FOUND' }] });
      },
    });
    const first = await get('/ok');
    expect(first.status).toBe(200);
    expect(first.headers.get('Content-Type')).toBe('text/plain');
    expect(first.headers.has('x-twice')).toBe(true);
    expect((await first.read(100, 'ok')).toString()).toBe('hello');
    const missing = await get('/missing');
    expect(missing.status).toBe(404);
    missing.discard();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await (await get('/ok')).read(100, 'ok');
    expect(new Set(ports).size).toBe(1);
  });

  it('sends a request again, once, when a kept-alive connection was closed under it', async () => {
    let requests = 0;
    registry.serve({
      'GET /ok': (_req, res) => send(res, 200, 'hello'),
      'GET /flaky': (req, res) => {
        if (requests++ === 0) return req.socket.destroy();
        return send(res, 200, 'again');
      },
    });
    await (await get('/ok')).read(100, 'ok'); // leaves a connection to reuse
    const answer = await get('/flaky');
    expect((await answer.read(100, 'flaky')).toString()).toBe('again');
    expect(requests).toBe(2);
  });

  it('does not send it a third time', async () => {
    registry.serve({
      'GET /ok': (_req, res) => send(res, 200, 'hello'),
      'GET /gone': (req) => req.socket.destroy(),
    });
    await (await get('/ok')).read(100, 'ok');
    await expect(get('/gone')).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(registry.count('GET /gone')).toBe(2);
  });

  it('a body past the cap is TooLarge, whether announced or not', async () => {
    registry.serve({
      'GET /announced': (_req, res) => send(res, 200, 'x'.repeat(1000)),
      'GET /chunked': (_req, res) => {
        res.writeHead(200);
        res.end('x'.repeat(1000));
      },
    });
    for (const path of ['/announced', '/chunked']) {
      const error = await (await get(path)).read(100, 'body').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect(error).toMatchObject({ kind: 'TooLarge' });
    }
  });

  it('a body cut short is an error, not a shorter body', async () => {
    registry.serve({
      'GET /short': (_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('x'.repeat(10), () => res.destroy());
      },
    });
    await expect((await get('/short')).read(1000, 'body')).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
