// One HTTP request to a registry, hardened: a slot of the registry's concurrency limit, a timeout for
// the headers of each hop and one for the whole exchange, redirects followed by hand (bounded, and
// the Authorization header only ever sent to the origin it was meant for), https unless the host was
// configured insecure, the body of a success read under a cap, every other body discarded.
import type { KeyedLimiter } from './concurrency.ts';
import type { HeaderReader, HttpAnswer, HttpClient } from './http-client.ts';
import type { RegistryLimits } from './limits.ts';
import { networkError } from './network-error.ts';
import { RegistryError } from './registry-error.ts';

/** What the request hook sees of every HTTP request, redirect hops and token requests included. */
export interface RegistryRequestInfo {
  /** The registry as named in image references (`docker.io`): the one the request was for. */
  registry: string;
  /** host[:port] the request went to: the registry, its token service, or a redirect's target. */
  host: string;
  method: string;
  status: number | 'error';
}
export type RequestHook = (info: RegistryRequestInfo) => void;

export interface ExchangeContext {
  /** The registry the request is for: the key of the concurrency limit; reported to the hook. */
  registry: string;
  limits: Readonly<RegistryLimits>;
  limiter: KeyedLimiter;
  /** host[:port] that may be spoken to over plain HTTP. */
  insecureHosts: ReadonlySet<string>;
  onRequest: RequestHook | undefined;
  http: HttpClient;
  signal: AbortSignal | undefined;
}

export interface ExchangeRequest {
  method: 'GET' | 'HEAD';
  url: URL;
  headers?: Record<string, string>;
  /** Sent to `url`'s origin only: a redirect elsewhere (blob storage) goes without it. */
  authorization?: string | undefined;
  /** Cap on the body of a successful GET. */
  maxBytes: number;
  /** Names the body in messages: `manifest`, `blob`, … */
  what: string;
}

export interface ExchangeReply {
  status: number;
  headers: HeaderReader;
  /** The body of a 2xx answer to a GET; empty for anything else. */
  body: Buffer;
  /** Where the answer came from, after redirects. */
  url: URL;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** `host/path` of a URL for messages: never the query (signed blob URLs carry credentials there). */
export function describeUrl(url: URL): string {
  const text = `${url.host}${url.pathname}`;
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Throws unless `url` is https, or http to a host configured insecure. */
export function checkScheme(url: URL, insecureHosts: ReadonlySet<string>): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && insecureHosts.has(url.host.toLowerCase())) return;
  throw new RegistryError(
    'BadResponse',
    `${describeUrl(url)}: refusing ${url.protocol.slice(0, 10)} to a host not configured insecure`,
  );
}

export function exchange(ctx: ExchangeContext, request: ExchangeRequest): Promise<ExchangeReply> {
  return ctx.limiter.run(ctx.registry, () => exchangeNow(ctx, request), ctx.signal);
}

async function exchangeNow(ctx: ExchangeContext, request: ExchangeRequest): Promise<ExchangeReply> {
  const label = `${request.method} ${describeUrl(request.url)}`;
  const timeout = new AbortController();
  const total = setTimeout(
    () =>
      timeout.abort(
        new RegistryError('Timeout', `${label}: not done within ${ctx.limits.requestTimeoutMs} ms`),
      ),
    ctx.limits.requestTimeoutMs,
  );
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout.signal]) : timeout.signal;
  const authOrigin = request.url.origin;
  let url = request.url;
  try {
    for (let hop = 0; ; hop++) {
      checkScheme(url, ctx.insecureHosts);
      if (url.username || url.password)
        throw new RegistryError('BadResponse', `${label}: redirected to a URL with credentials`);
      const headers: Record<string, string> = { ...request.headers };
      if (request.authorization !== undefined && url.origin === authOrigin)
        headers['authorization'] = request.authorization;
      const headersTimer = setTimeout(
        () =>
          timeout.abort(
            new RegistryError('Timeout', `${label}: no answer within ${ctx.limits.connectTimeoutMs} ms`),
          ),
        ctx.limits.connectTimeoutMs,
      );
      let response: HttpAnswer;
      try {
        response = await ctx.http({ method: request.method, url, headers, signal });
      } catch (error) {
        report(ctx, url, request.method, 'error');
        throw error;
      } finally {
        clearTimeout(headersTimer);
      }
      report(ctx, url, request.method, response.status);

      const location = response.headers.get('location');
      if (REDIRECTS.has(response.status) && location !== null) {
        response.discard();
        if (hop >= ctx.limits.maxRedirects)
          throw new RegistryError(
            'RegistryError',
            `${label}: more than ${ctx.limits.maxRedirects} redirects`,
            {
              status: response.status,
            },
          );
        try {
          url = new URL(location, url);
        } catch {
          throw new RegistryError('BadResponse', `${label}: redirect to a malformed URL`);
        }
        continue;
      }
      const ok = response.status >= 200 && response.status < 300;
      if (ok && request.method === 'GET') {
        const body = await response.read(request.maxBytes, `${label}: ${request.what}`);
        return { status: response.status, headers: response.headers, body, url };
      }
      response.discard();
      return { status: response.status, headers: response.headers, body: Buffer.alloc(0), url };
    }
  } catch (error) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    if (timeout.signal.aborted) throw timeout.signal.reason;
    throw networkError(error, label);
  } finally {
    clearTimeout(total);
  }
}

function report(ctx: ExchangeContext, url: URL, method: string, status: number | 'error'): void {
  try {
    ctx.onRequest?.({ registry: ctx.registry, host: url.host, method, status });
  } catch {
    // a counting hook must not break requests
  }
}
