// Requests to registries with authentication and rate-limit retries. Authentication follows the
// registry's WWW-Authenticate challenge: basic with the credentials, or the distribution token
// dance (anonymous or with the credentials) for a bearer token cached per (registry, scope,
// credentials); the challenge is remembered per registry so that later requests authenticate up
// front. 429 (and 503 with Retry-After) are retried a bounded number of times.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../kube/backoff.ts';
import type { Challenge } from './auth-challenge.ts';
import { parseChallenges } from './auth-challenge.ts';
import { KeyedLimiter } from './concurrency.ts';
import type { Credentials } from './credentials.ts';
import type { Endpoint, RepositoryRef } from './endpoint.ts';
import { endpointOf } from './endpoint.ts';
import type { HttpClient } from './http-client.ts';
import { nodeHttp } from './http-client.ts';
import type { ExchangeContext, ExchangeReply, RequestHook } from './http-exchange.ts';
import { checkScheme, describeUrl, exchange } from './http-exchange.ts';
import type { RegistryLimits } from './limits.ts';
import { resolveLimits } from './limits.ts';
import { RegistryError } from './registry-error.ts';
import { retryAfterMs } from './retry-after.ts';
import { parseJsonBody, tokenResponseSchema } from './schemas.ts';
import { TokenCache } from './token-cache.ts';

export interface TransportOptions {
  insecureRegistries?: readonly string[] | undefined;
  limits?: Partial<RegistryLimits> | undefined;
  onRequest?: RequestHook | undefined;
  http?: HttpClient | undefined;
  now?: (() => number) | undefined;
}

/** Where a request goes and as whom. */
export interface Target {
  endpoint: Endpoint;
  credentials: Credentials | undefined;
}

export interface SendRequest {
  method: 'GET' | 'HEAD';
  url: URL;
  accept?: string;
  maxBytes: number;
  what: string;
}

/** A bearer token goes into a header: printable ASCII only. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

export class RegistryTransport {
  readonly limits: Readonly<RegistryLimits>;
  private readonly limiter: KeyedLimiter;
  private readonly insecureHosts: ReadonlySet<string>;
  private readonly onRequest: RequestHook | undefined;
  private readonly http: HttpClient;
  private readonly tokens: TokenCache;
  /** The last challenge each registry answered with. */
  private readonly challenges = new Map<string, Challenge>();

  constructor(options: TransportOptions = {}) {
    this.limits = resolveLimits(options.limits);
    this.limiter = new KeyedLimiter(this.limits.maxConcurrentPerRegistry);
    this.insecureHosts = new Set((options.insecureRegistries ?? []).map((host) => host.toLowerCase()));
    this.onRequest = options.onRequest;
    this.http = options.http ?? nodeHttp;
    this.tokens = new TokenCache(options.now ? { now: options.now } : {});
  }

  /** Throws RangeError on a malformed registry or repository name. */
  endpoint(ref: RepositoryRef): Endpoint {
    return endpointOf(ref, this.insecureHosts);
  }

  /**
   * The reply to `request`, authenticated as the target's registry asks, after at most one
   * re-authentication and `maxRetries` rate-limit retries; a 401 or 429 that remains is returned
   * for the caller to map. Network failures and timeouts throw RegistryError.
   */
  async send(target: Target, request: SendRequest, signal?: AbortSignal): Promise<ExchangeReply> {
    const ctx = this.context(target.endpoint, signal);
    const scope = `repository:${target.endpoint.repository}:pull`;
    const headers: Record<string, string> = request.accept ? { accept: request.accept } : {};
    let authorization = await this.authorization(
      target,
      scope,
      this.challenges.get(target.endpoint.registry),
      signal,
    );
    let reauthenticated = false;
    for (let retries = 0; ;) {
      const reply = await exchange(ctx, { ...request, headers, authorization });
      if (reply.status === 401 && !reauthenticated) {
        reauthenticated = true;
        const challenge = pickChallenge(reply.headers.get('www-authenticate'));
        if (!challenge) return reply;
        // Remembered for the registry's other repositories: without this repository's scope.
        const params = new Map(challenge.params);
        params.delete('scope');
        this.challenges.set(target.endpoint.registry, { scheme: challenge.scheme, params });
        // The token just refused is not to be used again; one another request refreshed meanwhile is kept.
        if (authorization?.startsWith('Bearer '))
          this.tokens.delete(this.tokenKey(target, scope), authorization.slice(7));
        const next = await this.authorization(target, scope, challenge, signal);
        if (next === undefined || (next === authorization && challenge.scheme !== 'bearer')) return reply;
        authorization = next;
        continue;
      }
      const wait = retries < this.limits.maxRetries ? this.retryDelay(reply, retries + 1) : undefined;
      if (wait === undefined) return reply;
      retries++;
      try {
        await sleep(wait, undefined, { signal });
      } catch (error) {
        throw signal?.aborted ? signal.reason : error;
      }
    }
  }

  private context(endpoint: Endpoint, signal: AbortSignal | undefined): ExchangeContext {
    return {
      registry: endpoint.registry,
      limits: this.limits,
      limiter: this.limiter,
      insecureHosts: this.insecureHosts,
      onRequest: this.onRequest,
      http: this.http,
      signal,
    };
  }

  /** How long to wait before retrying `reply`, or undefined when it is not to be retried. */
  private retryDelay(reply: ExchangeReply, attempt: number): number | undefined {
    if (reply.status !== 429 && reply.status !== 503) return undefined;
    const asked = retryAfterMs(reply.headers.get('retry-after'));
    // 503 is retried only when the registry says it is throttling (Retry-After); a plain 503 is an outage.
    if (asked === undefined && reply.status === 503) return undefined;
    const wait =
      asked ??
      backoffDelay({ baseMs: this.limits.retryBaseDelayMs, maxMs: this.limits.maxRetryWaitMs }, attempt);
    // Waiting less than the registry asked would only be refused again.
    return wait <= this.limits.maxRetryWaitMs ? wait : undefined;
  }

  /** The Authorization header for a request, per the challenge; undefined for anonymous. */
  private async authorization(
    target: Target,
    scope: string,
    challenge: Challenge | undefined,
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    const { credentials } = target;
    if (credentials && 'registryToken' in credentials) return bearer(credentials.registryToken);
    if (challenge?.scheme === 'basic') {
      return credentials
        ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
        : undefined;
    }
    if (challenge?.scheme === 'bearer') {
      const token = await this.tokens.getOrFetch(this.tokenKey(target, scope), () =>
        this.fetchToken(target, scope, challenge, signal),
      );
      return bearer(token);
    }
    return undefined;
  }

  private tokenKey(target: Target, scope: string): string {
    const who = target.credentials
      ? createHash('sha256').update(JSON.stringify(target.credentials)).digest('hex')
      : 'anonymous';
    return `${target.endpoint.registry}\n${scope}\n${who}`;
  }

  /** The token dance: GET the challenge's realm for `scope`, with basic credentials when there are some. */
  private async fetchToken(
    target: Target,
    scope: string,
    challenge: Challenge,
    signal: AbortSignal | undefined,
  ): Promise<{ token: string; expiresIn?: number }> {
    const registry = target.endpoint.registry;
    const realm = challenge.params.get('realm');
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new RegistryError('BadResponse', `${registry}: bearer challenge without a valid realm`);
    }
    checkScheme(url, this.insecureHosts);
    const service = challenge.params.get('service');
    if (service !== undefined) url.searchParams.set('service', service);
    url.searchParams.append('scope', scope);
    const asked = challenge.params.get('scope');
    if (asked !== undefined && asked !== scope) url.searchParams.append('scope', asked);

    const { credentials } = target;
    const authorization =
      credentials && 'username' in credentials
        ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
        : undefined;
    const what = `token for ${registry} from ${describeUrl(url)}`;
    const reply = await exchange(this.context(target.endpoint, signal), {
      method: 'GET',
      url,
      headers: { accept: 'application/json' },
      authorization,
      maxBytes: this.limits.maxTokenBytes,
      what: 'token response',
    });
    if (reply.status === 401 || reply.status === 403)
      throw new RegistryError('AuthFailed', `${what}: denied (HTTP ${reply.status})`, {
        status: reply.status,
      });
    if (reply.status === 429)
      throw new RegistryError('RateLimited', `${what}: rate limited`, { status: reply.status });
    if (reply.status < 200 || reply.status >= 300)
      throw new RegistryError('RegistryError', `${what}: HTTP ${reply.status}`, { status: reply.status });
    const body = parseJsonBody(tokenResponseSchema, reply.body, what);
    const token = body.token ?? body.access_token ?? '';
    if (!HEADER_SAFE.test(token))
      throw new RegistryError('BadResponse', `${what}: token is not printable ASCII`);
    return body.expires_in === undefined ? { token } : { token, expiresIn: body.expires_in };
  }
}

/** Bearer when offered (the token dance), else Basic; other schemes are not spoken. */
function pickChallenge(header: string | null): Challenge | undefined {
  const challenges = parseChallenges(header);
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}

function bearer(token: string): string {
  if (!HEADER_SAFE.test(token))
    throw new RegistryError('AuthFailed', 'registry token is not printable ASCII');
  return `Bearer ${token}`;
}
