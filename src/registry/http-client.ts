// Sends one HTTP request and hands back its status, headers and a body to read under a cap or to
// drop. node:http and node:https over keep-alive connections: judging a digest takes about three
// small requests, and undici's fetch spent several times the CPU of node:http on each (its web
// streams, Headers and Response objects), which was most of the client's cost.
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import { RegistryError } from './registry-error.ts';

export interface HttpRequest {
  method: 'GET' | 'HEAD';
  url: URL;
  headers: Readonly<Record<string, string>>;
  /** Aborts the request and the reading of its body. */
  signal: AbortSignal;
}

/** The headers of an answer, by lower-case name; repeated ones joined with ", ". */
export type HeaderReader = Pick<Headers, 'get' | 'has'>;

export interface HttpAnswer {
  status: number;
  headers: HeaderReader;
  /** The whole body; RegistryError TooLarge (the connection dropped) as soon as it passes `maxBytes`. */
  read(maxBytes: number, what: string): Promise<Buffer>;
  /** Drops the body: read to the end when short and announced (the connection is kept), else cut. */
  discard(): void;
}

/** How the registry client sends requests: nodeHttp, or a stand-in (a benchmark replaying answers). */
export type HttpClient = (request: HttpRequest) => Promise<HttpAnswer>;

/** Idle connections are closed after this: before a registry closes them (a request on a socket the server is closing fails). */
const IDLE_MS = 4_000;
/** Bodies dropped by reading them to the end (keeping the connection) are at most this long… */
const DRAIN_MAX_BYTES = 64 * 1024;
/** …and must end within this, or the connection is cut. */
const DRAIN_MS = 2_000;

const agents = {
  'http:': new http.Agent({ keepAlive: true, timeout: IDLE_MS, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, timeout: IDLE_MS, scheduling: 'lifo' }),
};

export const nodeHttp: HttpClient = (request) => send(request, true);

function send(request: HttpRequest, mayRetry: boolean): Promise<HttpAnswer> {
  const { url, method, headers, signal } = request;
  const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method, headers, agent, signal }, (res) => resolve(answer(res)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive connection the registry closed just as it was reused: nothing reached the
      // registry, so the request is sent once more on a fresh one (as node's documentation advises).
      const stale = req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
      if (stale && mayRetry && !signal.aborted) resolve(send(request, false));
      else reject(error);
    });
    req.end();
  });
}

function answer(res: IncomingMessage): HttpAnswer {
  // An error of the body stream with nobody listening would end the process.
  res.on('error', () => undefined);
  return {
    status: res.statusCode ?? 0,
    headers: {
      get: (name) => {
        const value = res.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
      has: (name) => res.headers[name.toLowerCase()] !== undefined,
    },
    read: (maxBytes, what) => readBounded(res, maxBytes, what),
    discard: () => discard(res),
  };
}

function readBounded(res: IncomingMessage, maxBytes: number, what: string): Promise<Buffer> {
  const tooLarge = (): RegistryError =>
    new RegistryError('TooLarge', `${what} is larger than ${maxBytes} bytes`);
  return new Promise((resolve, reject) => {
    if (Number(res.headers['content-length'] ?? Number.NaN) > maxBytes) {
      res.destroy();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    res.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        // Whatever Content-Length claimed: at most the cap plus one chunk is ever held.
        res.destroy();
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks, total)));
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) reject(Object.assign(new Error('body cut short'), { code: 'ECONNRESET' }));
    });
  });
}

function discard(res: IncomingMessage): void {
  const length = Number(res.headers['content-length'] ?? Number.NaN);
  if (res.complete || length <= DRAIN_MAX_BYTES) {
    const timer = setTimeout(() => res.destroy(), DRAIN_MS);
    timer.unref();
    res.on('close', () => clearTimeout(timer));
    res.resume();
  } else {
    res.destroy();
  }
}
