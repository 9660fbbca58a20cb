// Continuity under its bounds, end to end: over --max-baselines cold baselines nothing uses are
// evicted (never those in use), over --max-findings new findings are dropped or old resolved ones
// make room, both counted; and a key pinned after its image was judged counts at once, not after
// the posture TTL.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installCrds } from './harness/crds.ts';
import { kubectl, kubectlItems } from './harness/kubectl.ts';
import { operatorReady, startOperator } from './harness/operator-process.ts';
import type { OperatorProcess } from './harness/operator-process.ts';
import { eventually } from './harness/poll.ts';
import { cosignKeyPair, cosignSign } from './harness/signing/cosign.ts';
import type { CosignKeyPair } from './harness/signing/cosign.ts';
import type { Image } from './harness/signing/publish.ts';
import { publishBundle, pushRandomImage } from './harness/signing/publish.ts';
import type { TestSigstore } from './harness/signing/test-sigstore.ts';
import { createTestSigstore, operatorTrustedRoot } from './harness/signing/test-sigstore.ts';

const host = inject('registryHost');
const run = randomBytes(3).toString('hex');
const namespace = `bounds-${run}`;
const WAIT = { timeoutMs: 60_000, intervalMs: 300 };
const release = {
  subject: 'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1',
  issuer: 'https://token.actions.githubusercontent.com',
};

const repo = (name: string) => `bounds-${run}/${name}`;
const key = (name: string) => `${host}/${repo(name)}`;
interface Named {
  metadata: { name: string };
  spec: { repository: string; kind?: string };
  status?: { phase?: string };
}

async function counter(op: OperatorProcess, name: string): Promise<number> {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec((await op.get('/metrics')).body);
  return m ? Number(m[1]) : 0;
}

describe('continuity bounds', () => {
  let sigstore: TestSigstore;
  let cosignKey: CosignKeyPair;
  let trustedRoot: string;
  let op: OperatorProcess | undefined;

  const start = async (args: string[]) => {
    await op?.stop();
    op = await startOperator({
      kubeconfig: inject('kubeconfig'),
      identity: `bounds-${run}`,
      namespace,
      args: [
        `--trusted-root=${trustedRoot}`,
        `--insecure-registries=${host}`,
        '--leader-elect=false',
        ...args,
      ],
    });
    await operatorReady(op);
    return op;
  };
  const signed = async (name: string) => {
    const image = await pushRandomImage(host, repo(name));
    await publishBundle(image, await sigstore.signBundle({ digest: image.digest, signer: release }));
    return image;
  };
  const runPod = async (name: string, image: Image) => {
    const got = await kubectl(['run', name, '-n', namespace, `--image=${image.ref}`, '--restart=Never']);
    expect(got.code, got.stderr).toBe(0);
  };
  const ours = async (resource: string) =>
    (await kubectlItems<Named>(resource)).filter((o) =>
      o.spec.repository.startsWith(`${host}/bounds-${run}/`),
    );

  beforeAll(async () => {
    await installCrds();
    [sigstore, cosignKey] = await Promise.all([createTestSigstore(), cosignKeyPair()]);
    trustedRoot = await operatorTrustedRoot(sigstore);
    expect((await kubectl(['create', 'namespace', namespace])).code).toBe(0);
  });
  afterAll(async () => {
    await op?.stop('SIGKILL');
    await kubectl(['delete', 'namespace', namespace, '--wait=false']);
    await kubectl(['delete', 'signaturepin', `late-key-${run}`, '--ignore-not-found']);
    await Promise.all([sigstore?.remove(), cosignKey?.remove()]);
  });

  it('a key pinned after its image was judged makes that image KeySigned at once, not after the posture TTL', async () => {
    const started = await start(['--posture-ttl=1h']);
    const late = await pushRandomImage(host, repo('late-key'));
    await cosignSign(late.ref, { key: cosignKey, format: 'bundle' });
    await runPod('late-key', late);
    // No pin names the key yet: the signature cannot be attributed.
    const judged = (posture: string) =>
      new RegExp(`"repository":"${key('late-key')}","digest":"${late.digest}","posture":"${posture}"`);
    await eventually(() => expect(started.logs()).toMatch(judged('Unverifiable')), WAIT);
    const pin = {
      apiVersion: 'signwarden.dev/v1alpha1',
      kind: 'SignaturePin',
      metadata: { name: `late-key-${run}` },
      spec: { repositories: [key('late-key')], signers: [{ key: { publicKey: cosignKey.publicKeyPem } }] },
    };
    expect((await kubectl(['apply', '-f', '-'], { input: JSON.stringify(pin) })).code).toBe(0);
    await eventually(async () => {
      expect(started.logs()).toMatch(judged('KeySigned'));
      const open = (await ours('driftfindings')).filter((f) => f.status?.phase === 'Open');
      expect(open).toEqual([]);
    }, WAIT);
  });

  it('evicts cold baselines nothing uses to stay under --max-baselines, never one in use', async () => {
    const before = (await kubectlItems<Named>('signingbaselines')).length;
    // Room for two more: the third new repository needs an eviction.
    const started = await start([`--max-baselines=${before + 2}`, '--establish-after=1h']);
    const gone = await signed('gone');
    await runPod('gone', gone);
    await eventually(
      async () =>
        expect((await ours('signingbaselines')).map((b) => b.spec.repository)).toContain(key('gone')),
      WAIT,
    );
    expect((await kubectl(['delete', 'pod', 'gone', '-n', namespace, '--wait=false'])).code).toBe(0);
    for (const name of ['kept-a', 'kept-b']) await runPod(name, await signed(name));
    await eventually(async () => {
      const repositories = (await ours('signingbaselines')).map((b) => b.spec.repository);
      expect(repositories).toEqual(expect.arrayContaining([key('kept-a'), key('kept-b')]));
      expect((await kubectlItems<Named>('signingbaselines')).length).toBeLessThanOrEqual(before + 2);
      expect(await counter(started, 'signwarden_baseline_evictions_total')).toBeGreaterThanOrEqual(1);
    }, WAIT);
    expect(started.logs()).toContain('baseline evicted: over --max-baselines');
  });

  it('keeps the number of findings under --max-findings, counting what did not fit', async () => {
    const before = (await kubectlItems<Named>('driftfindings')).length;
    const started = await start([`--max-findings=${before + 1}`, '--establish-after=1h']);
    // Two Unsigned regressions of a cold baseline: two findings, room for one.
    for (const name of ['drift-a', 'drift-b'])
      await runPod(name, await pushRandomImage(host, repo('kept-a')));
    await eventually(async () => {
      const dropped = await counter(started, 'signwarden_findings_dropped_total');
      const expired = await counter(started, 'signwarden_findings_expired_total');
      expect(dropped + expired).toBeGreaterThanOrEqual(1);
      expect((await ours('driftfindings')).length).toBeGreaterThanOrEqual(1);
    }, WAIT);
    expect((await kubectlItems<Named>('driftfindings')).length).toBeLessThanOrEqual(before + 1);
  });
});
