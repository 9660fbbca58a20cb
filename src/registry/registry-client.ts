// The OCI distribution client signature discovery needs (DESIGN.md §3): manifests and indexes
// verified against their digests, tag resolution, referrers (API, else the tag schema), blobs
// verified against their descriptors, and tag lists; bounded in time, size, pages and concurrency
// (limits.ts), with every failure a RegistryError whose kind callers map to a posture.
import type { SignatureLocation } from '../core/observation.ts';
import type { CredentialProvider, Credentials } from './credentials.ts';
import { anonymous } from './credentials.ts';
import { digestOf, isDigest, isVerifiableDigest } from './digest.ts';
import type { RepositoryRef } from './endpoint.ts';
import type { HttpClient } from './http-client.ts';
import type { ExchangeReply, RequestHook } from './http-exchange.ts';
import type { RegistryLimits } from './limits.ts';
import type { ParsedManifest } from './manifest-body.ts';
import { parseManifest } from './manifest-body.ts';
import { essence, manifestAccept, mediaTypes } from './media-types.ts';
import { nextLink } from './link-header.ts';
import { checkReference, isTag, referrersTag } from './names.ts';
import { ReferrersSupport } from './referrers-support.ts';
import { RegistryError } from './registry-error.ts';
import type { SendRequest, Target } from './registry-transport.ts';
import { RegistryTransport } from './registry-transport.ts';
import type { Descriptor } from './schemas.ts';
import { imageIndexSchema, parseJsonBody, tagListSchema } from './schemas.ts';

export interface RegistryClientOptions {
  /** Who to authenticate as, per registry; anonymous by default. */
  credentials?: CredentialProvider;
  /** Registries (host[:port]) spoken to over plain HTTP, e.g. `127.0.0.1:5000`; every other one over https. */
  insecureRegistries?: readonly string[];
  /** Overrides of defaultRegistryLimits. */
  limits?: Partial<RegistryLimits>;
  /** Called for every HTTP request made (redirect hops and token requests included), e.g. to count them. */
  onRequest?: RequestHook;
  /** How requests are sent: node:http over keep-alive connections unless replaced (a benchmark's replay). */
  http?: HttpClient;
}

export interface CallOptions {
  /** Aborts the call; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A manifest or index, its bytes exactly as served, and the digest they hash to. */
export type ManifestResult = ParsedManifest & { digest: string; bytes: Buffer };

export interface ReferrersResult {
  descriptors: Descriptor[];
  /** The referrers API answered, or it did not exist and the referrers tag (`<alg>-<hex>`) was read. */
  via: Extract<SignatureLocation, 'ReferrersAPI' | 'ReferrersTag'>;
}

/** What a tag points to; the media type (image or index) when the registry said. */
export interface ResolvedTag {
  digest: string;
  mediaType?: string;
}

export interface TagsResult {
  tags: string[];
  /** More pages remained after maxPages. */
  truncated: boolean;
}

export interface ListTagsOptions extends CallOptions {
  /** Tags asked for per page (`n`); default 100. */
  pageSize?: number;
  /** Pages read at most; default 10. */
  maxPages?: number;
}

/** listReferrers could not read the referrers tag (the registry has no referrers API), not the API. */
export class ReferrersTagError extends RegistryError {}

/** Statuses of a referrers API request that mean the registry has no such API. */
const NO_REFERRERS_API = new Set([400, 404, 405, 406, 501]);
/**
 * How long a registry found without the referrers API goes straight to the referrers tag (one
 * request saved per digest; a registry upgraded meanwhile is asked again after this).
 */
const NO_REFERRERS_API_MEMO_MS = 60 * 60_000;
/** Statuses of a HEAD that mean the registry does not answer HEAD for manifests. */
const NO_HEAD = new Set([400, 405, 501]);

export class RegistryClient {
  private transport: RegistryTransport;
  private credentials: CredentialProvider;
  private referrers = new ReferrersSupport(NO_REFERRERS_API_MEMO_MS);

  constructor(options: RegistryClientOptions = {}) {
    this.transport = new RegistryTransport(options);
    this.credentials = options.credentials ?? anonymous;
  }

  /** A client with other credentials sharing this one's limits, concurrency slots, token cache and hook. */
  withCredentials(credentials: CredentialProvider): RegistryClient {
    const client = new RegistryClient();
    client.transport = this.transport;
    client.referrers = this.referrers;
    client.credentials = credentials;
    return client;
  }

  get limits(): Readonly<RegistryLimits> {
    return this.transport.limits;
  }

  /**
   * A manifest or index by tag or digest. By digest, the bytes must hash to it; by tag, the digest
   * is computed from the bytes and must match a Docker-Content-Digest header if one is sent.
   */
  async getManifest(
    repo: RepositoryRef,
    reference: string,
    options: CallOptions = {},
  ): Promise<ManifestResult> {
    checkReference(reference);
    return this.fetchManifest(await this.target(repo), reference, options.signal);
  }

  /** Whether a manifest exists: false on 404 (a legacy `sha256-<hex>.sig` tag, say), an error for anything unknown. */
  async manifestExists(repo: RepositoryRef, reference: string, options: CallOptions = {}): Promise<boolean> {
    checkReference(reference);
    const target = await this.target(repo);
    const reply = await this.send(target, this.manifestHead(target, reference), options.signal);
    if (reply.status >= 200 && reply.status < 300) return true;
    if (reply.status === 404) return false;
    if (!NO_HEAD.has(reply.status)) throw statusError(reply, 'manifest');
    try {
      await this.fetchManifest(target, reference, options.signal);
      return true;
    } catch (error) {
      if (error instanceof RegistryError && error.kind === 'NotFound') return false;
      throw error;
    }
  }

  /** The digest a tag points to: HEAD's Docker-Content-Digest, else the digest of the manifest fetched. */
  async resolveTag(repo: RepositoryRef, tag: string, options: CallOptions = {}): Promise<ResolvedTag> {
    if (!isTag(tag)) throw new RangeError(`not a tag: ${JSON.stringify(tag.slice(0, 80))}`);
    const target = await this.target(repo);
    const reply = await this.send(target, this.manifestHead(target, tag), options.signal);
    if (reply.status >= 200 && reply.status < 300) {
      const digest = reply.headers.get('docker-content-digest')?.trim();
      const mediaType = essence(reply.headers.get('content-type'));
      if (digest && isVerifiableDigest(digest)) return mediaType ? { digest, mediaType } : { digest };
    } else if (!NO_HEAD.has(reply.status)) {
      throw statusError(reply, 'manifest');
    }
    const manifest = await this.fetchManifest(target, tag, options.signal);
    return { digest: manifest.digest, mediaType: manifest.mediaType };
  }

  /**
   * The manifests whose `subject` is `digest`, of `artifactType` if given: from the referrers API
   * (following `Link` pages, at most limits.maxReferrersPages, beyond which TooLarge: a list cut
   * short could hide a signature), or, where the registry has no such API, from the index under
   * the referrers tag (none when that tag does not exist).
   */
  async listReferrers(
    repo: RepositoryRef,
    digest: string,
    artifactType?: string,
    options: CallOptions = {},
  ): Promise<ReferrersResult> {
    if (!isDigest(digest)) throw new RangeError(`not a digest: ${JSON.stringify(digest.slice(0, 80))}`);
    const target = await this.target(repo);
    const { origin, repository } = target.endpoint;
    let url = new URL(`${origin}/v2/${repository}/referrers/${digest}`);
    if (artifactType !== undefined) url.searchParams.set('artifactType', artifactType);
    const wanted = (d: Descriptor): boolean => artifactType === undefined || d.artifactType === artifactType;
    const route = await this.referrers.route(origin);
    if (route === 'tag') return this.referrersFromTag(target, digest, wanted, options.signal);
    let reply: ExchangeReply;
    try {
      reply = await this.send(target, referrersRequest(url, this.limits), options.signal);
      if (NO_REFERRERS_API.has(reply.status)) this.referrers.absent(origin);
      else if (reply.status >= 200 && reply.status < 300) this.referrers.served(origin);
    } finally {
      if (route !== 'api') route.probe();
    }
    if (NO_REFERRERS_API.has(reply.status))
      return this.referrersFromTag(target, digest, wanted, options.signal);
    const found = new Map<string, Descriptor>();
    for (let page = 1; ; page++) {
      if (page > 1) reply = await this.send(target, referrersRequest(url, this.limits), options.signal);
      if (reply.status < 200 || reply.status >= 300) throw statusError(reply, 'referrers');
      const type = essence(reply.headers.get('content-type'));
      if (type !== mediaTypes.ociIndex)
        throw new RegistryError(
          'BadResponse',
          `referrers: content type ${JSON.stringify((type ?? 'none').slice(0, 100))}, not an OCI index`,
        );
      const index = parseJsonBody(imageIndexSchema, reply.body, 'referrers');
      // OCI-Filters-Applied: artifactType says the registry filtered; filtering again here costs
      // nothing and keeps a registry that claims so wrongly from slipping other artifacts in.
      for (const descriptor of index.manifests)
        if (wanted(descriptor)) found.set(descriptor.digest, descriptor);
      const next = nextLink(reply.headers.get('link'), reply.url);
      if (!next) break;
      if (next.origin !== origin)
        throw new RegistryError('BadResponse', 'referrers: next page on another origin');
      if (page >= this.limits.maxReferrersPages)
        throw new RegistryError('TooLarge', `referrers: more than ${this.limits.maxReferrersPages} pages`);
      url = next;
    }
    return { descriptors: [...found.values()], via: 'ReferrersAPI' };
  }

  /** A blob's bytes, which must have the descriptor's size and digest (else DigestMismatch). */
  async getBlob(
    repo: RepositoryRef,
    descriptor: Pick<Descriptor, 'digest' | 'size'>,
    options: CallOptions = {},
  ): Promise<Buffer> {
    const { digest, size } = descriptor;
    if (!isDigest(digest)) throw new RangeError(`not a digest: ${JSON.stringify(digest.slice(0, 80))}`);
    if (!Number.isSafeInteger(size) || size < 0)
      throw new RangeError('blob size must be a non-negative integer');
    if (!isVerifiableDigest(digest))
      throw new RegistryError(
        'BadResponse',
        `blob: cannot verify digest ${JSON.stringify(digest.slice(0, 80))}`,
      );
    if (size > this.limits.maxBlobBytes)
      throw new RegistryError(
        'TooLarge',
        `blob of ${size} bytes is larger than ${this.limits.maxBlobBytes} bytes`,
      );
    const target = await this.target(repo);
    const { origin, repository } = target.endpoint;
    const url = new URL(`${origin}/v2/${repository}/blobs/${digest}`);
    let reply: ExchangeReply;
    try {
      reply = await this.send(target, { method: 'GET', url, maxBytes: size, what: 'blob' }, options.signal);
    } catch (error) {
      // The cap was the descriptor's size: more bytes than it says is content that is not the blob.
      if (error instanceof RegistryError && error.kind === 'TooLarge')
        throw new RegistryError(
          'DigestMismatch',
          `blob ${digest}: larger than its descriptor's ${size} bytes`,
        );
      throw error;
    }
    if (reply.status < 200 || reply.status >= 300) throw statusError(reply, 'blob');
    if (reply.body.length !== size)
      throw new RegistryError(
        'DigestMismatch',
        `blob ${digest}: ${reply.body.length} bytes, descriptor says ${size}`,
      );
    if (digestOf(reply.body, digest) !== digest)
      throw new RegistryError('DigestMismatch', `blob ${digest}: content hashes to another digest`);
    return reply.body;
  }

  /** The repository's tags, `pageSize` per page following `Link`, at most `maxPages` pages. */
  async listTags(repo: RepositoryRef, options: ListTagsOptions = {}): Promise<TagsResult> {
    const { pageSize = 100, maxPages = 10 } = options;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1)
      throw new RangeError('pageSize must be a positive integer');
    if (!Number.isSafeInteger(maxPages) || maxPages < 1)
      throw new RangeError('maxPages must be a positive integer');
    const target = await this.target(repo);
    const { origin, repository } = target.endpoint;
    let url = new URL(`${origin}/v2/${repository}/tags/list?n=${pageSize}`);
    const tags: string[] = [];
    for (let page = 1; ; page++) {
      const request = {
        method: 'GET',
        url,
        accept: 'application/json',
        maxBytes: this.limits.maxManifestBytes,
        what: 'tag list',
      } as const;
      const reply = await this.send(target, request, options.signal);
      if (reply.status < 200 || reply.status >= 300) throw statusError(reply, 'tag list');
      const list = parseJsonBody(tagListSchema, reply.body, 'tag list');
      // A tag that is not one could not be asked for anyway: dropped, not passed on.
      tags.push(...(list.tags ?? []).filter(isTag));
      const next = nextLink(reply.headers.get('link'), reply.url);
      if (!next) return { tags, truncated: false };
      if (next.origin !== origin)
        throw new RegistryError('BadResponse', 'tag list: next page on another origin');
      if (page >= maxPages) return { tags, truncated: true };
      url = next;
    }
  }

  private async target(repo: RepositoryRef): Promise<Target> {
    const endpoint = this.transport.endpoint(repo);
    let credentials: Credentials | undefined;
    try {
      credentials = await this.credentials(endpoint.registry, endpoint.repository);
    } catch (error) {
      throw new RegistryError('AuthFailed', `${endpoint.registry}: could not read credentials`, {
        cause: error,
      });
    }
    return { endpoint, credentials };
  }

  private send(
    target: Target,
    request: SendRequest,
    signal: AbortSignal | undefined,
  ): Promise<ExchangeReply> {
    return this.transport.send(target, request, signal);
  }

  private manifestHead(target: Target, reference: string): SendRequest {
    const { origin, repository } = target.endpoint;
    const url = new URL(`${origin}/v2/${repository}/manifests/${reference}`);
    return { method: 'HEAD', url, accept: manifestAccept, maxBytes: 0, what: 'manifest' };
  }

  private async fetchManifest(
    target: Target,
    reference: string,
    signal: AbortSignal | undefined,
  ): Promise<ManifestResult> {
    const byDigest = isDigest(reference);
    if (byDigest && !isVerifiableDigest(reference))
      throw new RegistryError(
        'BadResponse',
        `manifest: cannot verify digest ${JSON.stringify(reference.slice(0, 80))}`,
      );
    const { origin, repository } = target.endpoint;
    const url = new URL(`${origin}/v2/${repository}/manifests/${reference}`);
    const request = {
      method: 'GET',
      url,
      accept: manifestAccept,
      maxBytes: this.limits.maxManifestBytes,
      what: 'manifest',
    } as const;
    const reply = await this.send(target, request, signal);
    if (reply.status < 200 || reply.status >= 300) throw statusError(reply, `manifest ${reference}`);
    const bytes = reply.body;
    let digest: string;
    if (byDigest) {
      if (digestOf(bytes, reference) !== reference)
        throw new RegistryError('DigestMismatch', `manifest ${reference}: content hashes to another digest`);
      digest = reference;
    } else {
      digest = digestOf(bytes);
      const announced = reply.headers.get('docker-content-digest')?.trim();
      if (announced) {
        if (!isDigest(announced))
          throw new RegistryError('BadResponse', `manifest ${reference}: malformed Docker-Content-Digest`);
        if (isVerifiableDigest(announced) && digestOf(bytes, announced) !== announced)
          throw new RegistryError(
            'DigestMismatch',
            `manifest ${reference}: content does not hash to its Docker-Content-Digest`,
          );
      }
    }
    const parsed = parseManifest(bytes, reply.headers.get('content-type'), `manifest ${reference}`);
    return { ...parsed, digest, bytes };
  }

  private async referrersFromTag(
    target: Target,
    digest: string,
    wanted: (descriptor: Descriptor) => boolean,
    signal: AbortSignal | undefined,
  ): Promise<ReferrersResult> {
    let index: ManifestResult;
    try {
      index = await this.fetchManifest(target, referrersTag(digest), signal);
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      if (error.kind === 'NotFound') return { descriptors: [], via: 'ReferrersTag' };
      throw new ReferrersTagError(error.kind, error.message, { status: error.status, cause: error });
    }
    if (index.kind !== 'index')
      throw new ReferrersTagError('BadResponse', 'referrers tag does not hold an index');
    return { descriptors: index.manifest.manifests.filter(wanted), via: 'ReferrersTag' };
  }
}

function referrersRequest(url: URL, limits: Readonly<RegistryLimits>): SendRequest {
  return {
    method: 'GET',
    url,
    accept: mediaTypes.ociIndex,
    maxBytes: limits.maxManifestBytes,
    what: 'referrers',
  };
}

/** The RegistryError for a status that is not a success. */
function statusError(reply: ExchangeReply, what: string): RegistryError {
  const { status } = reply;
  const message = `${what}: HTTP ${status}`;
  if (status === 401 || status === 403) return new RegistryError('AuthFailed', message, { status });
  if (status === 404) return new RegistryError('NotFound', message, { status });
  if (status === 429 || (status === 503 && reply.headers.has('retry-after')))
    return new RegistryError('RateLimited', message, { status });
  return new RegistryError('RegistryError', message, { status });
}
