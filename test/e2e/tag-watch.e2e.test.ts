// The tag watcher against the run's registry, in process with its real start() and work queue:
// tags pushed into a guarded repository are listed (over several pages), resolved and judged into
// the inventory as RegistryTag pseudo-workloads before anything runs them; a moved or deleted tag
// is followed; signature tags are not images; a repository with more tags than the cap is watched
// in part and says so; a registry that refuses never yields a posture and is retried until the
// repository stops being guarded.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TagWatcher, TagWatchOptions } from '../../src/controllers/tag-watcher.ts';
import { tagWatcher } from '../../src/controllers/tag-watcher.ts';
import { loadKubeConfig } from '../../src/kube/kube-config.ts';
import { PullCredentials } from '../../src/kube/pull-credentials.ts';
import { createLogger } from '../../src/log/logger.ts';
import type { Metrics } from '../../src/observability/metrics.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { InventoryState } from '../../src/observe/inventory-state.ts';
import { Observer } from '../../src/observe/observer.ts';
import { RegistryClient } from '../../src/registry/registry-client.ts';
import { parseTrustedRoot } from '../../src/sigstore/trusted-root.ts';
import { eventually } from './harness/poll.ts';
import { publishBundle, pushRandomImage, tagImage } from './harness/signing/publish.ts';
import { releaseSigner, releaseWorkflow } from './harness/signing/release-signer.ts';
import type { Signer, TestSigstore } from './harness/signing/test-sigstore.ts';
import { createTestSigstore } from './harness/signing/test-sigstore.ts';

const host = inject('registryHost');
const run = randomBytes(3).toString('hex');
const WAIT = { timeoutMs: 30_000, intervalMs: 100 };
const mallory: Signer = { subject: 'mallory@evil.example', issuer: 'https://accounts.google.com' };

const repo = (name: string) => `tag-watch-${run}/${name}`;
const key = (name: string) => `${host}/${repo(name)}`;
const tagWorkload = (name: string, tag: string) => ({
  kind: 'RegistryTag',
  namespace: '',
  name: `${key(name)}:${tag}`,
});

/** A registry that lists `refusing/head`'s one tag and answers 503 to everything else. */
async function refusingRegistry() {
  const requests = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (req.method === 'GET' && path === '/v2/refusing/head/tags/list') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: 'refusing/head', tags: ['v1'] }));
      return;
    }
    res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests: (path: string) => requests.get(path) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('tag watcher', () => {
  let sigstore: TestSigstore;
  let refusing: Awaited<ReturnType<typeof refusingRegistry>>;
  const watchers: TagWatcher[] = [];

  /** A started watcher with its own inventory and metrics. */
  const startWatcher = (options: Partial<TagWatchOptions> = {}) => {
    const trust = parseTrustedRoot(JSON.stringify(sigstore.trustedRoot), sigstore.trustedRootPath);
    if ('error' in trust) throw new Error(trust.error);
    const logger = createLogger('error', {}, () => undefined);
    const metrics = createMetrics({ processMetrics: false });
    const inventory = new InventoryState(logger, metrics.registry);
    const watcher = tagWatcher({
      registry: new RegistryClient({ insecureRegistries: [host, refusing.host] }),
      observer: new Observer({ ttlMs: 60_000, maxEntries: 1_000, concurrency: 4 }),
      credentials: new PullCredentials(loadKubeConfig(inject('kubeconfig')), []),
      judgeContext: { trust, keys: [] },
      inventory,
      metrics,
      logger,
      options: {
        intervalMs: 300,
        pageSize: 2,
        maxPages: 20,
        maxTagsPerRepository: 20,
        requestsPerSecondPerRegistry: 100,
        ...options,
      },
    });
    watcher.start({ workers: 2, backoff: { baseMs: 100, maxMs: 500 }, metrics, logger });
    watchers.push(watcher);
    return { watcher, inventory, metrics };
  };

  const counter = async (metrics: Metrics, name: string, labels: string): Promise<number> => {
    const text = await metrics.registry.metrics();
    const prefix = labels === '' ? `${name} ` : `${name}{${labels}} `;
    const line = text.split('\n').find((l) => l.startsWith(prefix));
    return line ? Number(line.split(' ')[1]) : 0;
  };

  const signed = async (name: string, signer: Signer = releaseSigner) => {
    const image = await pushRandomImage(host, repo(name));
    await publishBundle(image, await sigstore.signBundle({ digest: image.digest, signer }));
    return image;
  };

  beforeAll(async () => {
    [sigstore, refusing] = await Promise.all([createTestSigstore(), refusingRegistry()]);
  });
  afterAll(async () => {
    await Promise.all(watchers.map((w) => w.stop()));
    await Promise.all([sigstore?.remove(), refusing?.close()]);
  });

  it('judges pushed tags before anything runs them, and follows moves and deletions', async () => {
    const { watcher, inventory, metrics } = startWatcher();
    watcher.setGuarded([key('app')]);
    const release = await signed('app');
    await tagImage(release, 'v1.0.0');
    const unsigned = await pushRandomImage(host, repo('app'));
    await tagImage(unsigned, 'v1.0.1');
    const resigned = await signed('app', mallory);
    await tagImage(resigned, 'v1.0.2');

    const postureOf = (digest: string) =>
      inventory.uses(key('app')).find((u) => u.observation.digest === digest)?.observation;
    await eventually(() => {
      expect(watcher.tagsOf(key('app'))).toEqual([
        { tag: 'v1.0.0', digest: release.digest },
        { tag: 'v1.0.1', digest: unsigned.digest },
        { tag: 'v1.0.2', digest: resigned.digest },
      ]);
    }, WAIT);
    expect(postureOf(release.digest)).toMatchObject({
      posture: 'Signed',
      signers: [expect.objectContaining({ identity: releaseWorkflow })],
    });
    expect(postureOf(unsigned.digest)?.posture).toBe('Unsigned');
    expect(postureOf(resigned.digest)).toMatchObject({
      posture: 'Signed',
      signers: [expect.objectContaining({ identity: mallory.subject })],
    });
    expect(
      inventory.uses(key('app')).find((u) => u.observation.digest === release.digest)?.workloads,
    ).toEqual([tagWorkload('app', 'v1.0.0')]);
    // Two signed digests put referrers tags (sha256-<hex>) into the listing: never followed.
    expect(inventory.uses(key('app'))).toHaveLength(3);
    // Three image tags and two referrers tags, two per page: all three listed over several pages.
    expect(await counter(metrics, 'signwarden_tag_listings_total', 'result="Listed"')).toBeGreaterThan(0);
    expect(await counter(metrics, 'signwarden_watched_tags', '')).toBe(3);

    // Moving a tag: the old digest loses it, the new one gains it.
    await tagImage(unsigned, 'v1.0.0');
    await eventually(() => {
      expect(watcher.tagsOf(key('app'))).toContainEqual({ tag: 'v1.0.0', digest: unsigned.digest });
      expect(postureOf(release.digest)).toBeUndefined();
      const workloads = inventory
        .uses(key('app'))
        .find((u) => u.observation.digest === unsigned.digest)?.workloads;
      expect([...(workloads ?? [])].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        tagWorkload('app', 'v1.0.0'),
        tagWorkload('app', 'v1.0.1'),
      ]);
    }, WAIT);

    // Deleting a tag (and the image only it named): removed.
    const deleted = await fetch(`http://${host}/v2/${repo('app')}/manifests/${resigned.digest}`, {
      method: 'DELETE',
    });
    expect(deleted.status).toBe(202);
    await eventually(() => {
      expect(watcher.tagsOf(key('app')).map((t) => t.tag)).toEqual(['v1.0.0', 'v1.0.1']);
      expect(postureOf(resigned.digest)).toBeUndefined();
    }, WAIT);

    // No longer guarded: forgotten, its pseudo-workloads gone.
    watcher.setGuarded([]);
    expect(watcher.tagsOf(key('app'))).toEqual([]);
    expect(inventory.uses(key('app'))).toEqual([]);
    expect([...inventory.repositories()]).toEqual([]);
  });

  it('watches the newest tags of a repository with more than the cap, and says so', async () => {
    const { watcher, metrics } = startWatcher({ maxTagsPerRepository: 3 });
    const image = await pushRandomImage(host, repo('many'));
    for (const name of ['v1.2', 'v1.9', 'v1.10', 'v1.11', 'latest']) await tagImage(image, name);
    watcher.setGuarded([key('many')]);
    await eventually(() => {
      expect(watcher.tagsOf(key('many')).map((t) => t.tag)).toEqual(['latest', 'v1.10', 'v1.11']);
    }, WAIT);
    expect(await counter(metrics, 'signwarden_tag_listings_truncated_total', 'reason="cap"')).toBeGreaterThan(
      0,
    );
  });

  it('never records a posture from a registry that refuses, and retries until unguarded', async () => {
    const { watcher, inventory, metrics } = startWatcher();
    const listing = `${refusing.host}/refusing/list`;
    const resolving = `${refusing.host}/refusing/head`;
    watcher.setGuarded([listing, resolving]);
    // Retried with backoff: each path asked more than once.
    await eventually(() => {
      expect(refusing.requests('/v2/refusing/list/tags/list')).toBeGreaterThan(2);
      expect(refusing.requests('/v2/refusing/head/manifests/v1')).toBeGreaterThan(2);
    }, WAIT);
    expect(await counter(metrics, 'signwarden_tag_listings_total', 'result="RegistryError"')).toBeGreaterThan(
      0,
    );
    expect(inventory.uses(listing)).toEqual([]);
    expect(inventory.uses(resolving)).toEqual([]);
    expect(watcher.tagsOf(resolving)).toEqual([]);
    expect(await counter(metrics, 'signwarden_watched_tags', '')).toBe(0);

    // Unguarded: the pending retries find nothing to do and ask the registry no more.
    watcher.setGuarded([]);
    const asked = refusing.requests('/v2/refusing/list/tags/list');
    const succeeded = await counter(
      metrics,
      'signwarden_reconcile_total',
      'controller="tag-watch",result="success"',
    );
    await eventually(async () => {
      expect(
        await counter(metrics, 'signwarden_reconcile_total', 'controller="tag-watch",result="success"'),
      ).toBeGreaterThanOrEqual(succeeded + 2);
    }, WAIT);
    // At most the request in flight when the set changed.
    expect(refusing.requests('/v2/refusing/list/tags/list')).toBeLessThanOrEqual(asked + 1);
    expect([...inventory.repositories()]).toEqual([]);
  });
});
