// A scripted registry for the client's tests: a real HTTP server on a loopback port that answers
// each request with whatever the test's routes say, including nothing at all, and records what
// it was sent.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mediaTypes } from '../../../src/registry/media-types.ts';

export interface Recorded {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;
/** Handlers by `METHOD /path` (no query), else the handler under `*` if any; unmatched requests get 404. */
export type Routes = Record<string, Handler>;

export interface HostileRegistry {
  /** 127.0.0.1:PORT */
  host: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  requests: Recorded[];
  /** Replaces the routes and forgets the requests recorded so far. */
  serve(routes: Routes): void;
  /** Requests recorded for one `METHOD /path`. */
  count(route: string): number;
  close(): Promise<void>;
}

export async function startHostileRegistry(routes: Routes = {}): Promise<HostileRegistry> {
  let current = routes;
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://registry');
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const handler = current[`${req.method} ${url.pathname}`] ?? current['*'];
    if (handler) handler(req, res, url);
    else json(res, 404, { errors: [{ code: 'NOT_FOUND' }] });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  return {
    host,
    origin: `http://${host}`,
    requests,
    serve(routes) {
      current = routes;
      requests.length = 0;
    },
    count: (route) => requests.filter((r) => `${r.method} ${r.url.split('?')[0]}` === route).length,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  send(res, status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
}

export function send(
  res: ServerResponse,
  status: number,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-length': String(bytes.length), ...headers });
  res.end(bytes);
}

/**
 * Streams a 50 MB JSON-ish manifest body as fast as the client reads it; `written` resolves with the
 * bytes written when the connection closes (early, when the client gave up reading).
 */
export function fiftyMegabytes(headers: Record<string, string>): {
  handler: Handler;
  written: Promise<number>;
} {
  let done: (bytes: number) => void = () => undefined;
  const written = new Promise<number>((resolve) => (done = resolve));
  const handler: Handler = (_req, res) => {
    const total = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    res.writeHead(200, { 'content-type': mediaTypes.ociManifest, ...headers });
    res.on('close', () => done(sent));
    const pump = (): void => {
      while (sent < total && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    res.write('{"schemaVersion":2,"annotations":{"pad":"');
    pump();
  };
  return { handler, written };
}
