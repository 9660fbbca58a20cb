// Continuity end to end: every row of the decision table through Pods and Deployments, baselines
// learned, established by age and kept across restarts and a SIGKILL, drifts reported as
// DriftFindings with events, accepted by annotation, resolved and expired; pins guarding at once;
// steady state writing nothing; only the leader writing.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installCrds } from './harness/crds.ts';
import { kubectl, kubectlItems } from './harness/kubectl.ts';
import { startOperator } from './harness/operator-process.ts';
import type { OperatorProcess } from './harness/operator-process.ts';
import { eventually } from './harness/poll.ts';
import { cosignKeyPair, cosignSign } from './harness/signing/cosign.ts';
import type { CosignKeyPair } from './harness/signing/cosign.ts';
import type { Image } from './harness/signing/publish.ts';
import { publishBundle, pushRandomImage } from './harness/signing/publish.ts';
import type { Signer, TestSigstore } from './harness/signing/test-sigstore.ts';
import {
  createTestSigstore,
  withFlippedBundleSignature,
  operatorTrustedRoot,
} from './harness/signing/test-sigstore.ts';

const host = inject('registryHost');
const run = randomBytes(3).toString('hex');
const namespace = `continuity-${run}`;
const GH = 'https://token.actions.githubusercontent.com';
const release = (tag: string): Signer => ({
  subject: `https://github.com/acme/api/.github/workflows/release.yml@refs/tags/${tag}`,
  issuer: GH,
});
const mallory: Signer = { subject: 'mallory@evil.example', issuer: 'https://accounts.google.com' };
const otherIssuer: Signer = { ...release('v1.0.0'), issuer: 'https://gitlab.example/oidc' };
const WAIT = { timeoutMs: 60_000, intervalMs: 300 };

interface Baseline {
  metadata: { name: string; uid: string };
  spec: { repository: string };
  status?: {
    established?: boolean;
    firstSignedTime?: string;
    strongestPosture?: string;
    lastObserved?: { digest: string };
    signers?: { identity?: string; issuer?: string; keyFingerprint?: string; learnedFrom: string }[];
  };
}
interface Finding {
  metadata: { name: string };
  spec: { repository: string; kind: string; subject: string };
  status?: {
    phase?: string;
    severity?: string;
    digest?: string;
    affectedWorkloadCount?: number;
    affectedWorkloads?: { kind: string; namespace: string; name: string }[];
    acceptance?: { reason: string };
  };
}

const repo = (name: string) => `continuity-${run}/${name}`;
const key = (name: string) => `${host}/${repo(name)}`;

const baselinesOf = async (name: string) =>
  (await kubectlItems<Baseline>('signingbaselines')).filter((b) => b.spec.repository === key(name));
const findingsOf = async (name: string) =>
  (await kubectlItems<Finding>('driftfindings')).filter((f) => f.spec.repository === key(name));
async function baselineOf(name: string): Promise<Baseline> {
  const [baseline, ...more] = await baselinesOf(name);
  if (!baseline) throw new Error(`no baseline for ${name} yet`);
  expect(more).toEqual([]);
  return baseline;
}

/** Writes the operator made to signwarden's objects and events (create, patch, delete). */
async function writes(op: OperatorProcess): Promise<number> {
  const text = (await op.get('/metrics')).body;
  let total = 0;
  for (const m of text.matchAll(
    /^signwarden_kube_api_requests_total\{verb="(create|patch|delete|update)",resource="(signingbaselines|driftfindings|signaturepins|events)[^"]*"\} (\d+)$/gm,
  ))
    total += Number(m[3]);
  return total;
}

async function metric(op: OperatorProcess, pattern: RegExp): Promise<number> {
  const m = pattern.exec((await op.get('/metrics')).body);
  return m ? Number(m[1]) : 0;
}

/** Waits until the operator has judged `image` and the continuity queue is empty. */
async function settled(op: OperatorProcess, images: Image[]): Promise<void> {
  await eventually(async () => {
    for (const image of images) expect(op.logs()).toContain(`"digest":"${image.digest}"`);
    expect(await metric(op, /^signwarden_workqueue_depth\{controller="continuity"\} (\d+)$/m)).toBe(0);
  }, WAIT);
}

describe('continuity', () => {
  let sigstore: TestSigstore;
  let cosignKey: CosignKeyPair;
  let trustedRoot: string;
  const operators: OperatorProcess[] = [];
  /** Starts a replica; `leader`: waits until it leads (the only replica), or only until it is ready. */
  const start = async (identity: string, args: string[], leader = true) => {
    const flags = [`--trusted-root=${trustedRoot}`, `--insecure-registries=${host}`, '--posture-ttl=2s'];
    const lease = ['--lease-duration=4s', '--renew-deadline=3s', '--retry-period=500ms', '--finding-ttl=6s'];
    const op = await startOperator({
      kubeconfig: inject('kubeconfig'),
      identity: `${identity}-${run}`,
      namespace,
      args: [...flags, ...lease, ...args],
    });
    operators.push(op);
    await eventually(async () => {
      const ready = JSON.parse((await op.get('/readyz')).body) as { ready: boolean; leader: boolean };
      expect(ready).toMatchObject(leader ? { leader: true } : { ready: true });
    }, WAIT);
    return op;
  };

  const signed = async (name: string, signer: Signer) => {
    const image = await pushRandomImage(host, repo(name));
    await publishBundle(image, await sigstore.signBundle({ digest: image.digest, signer }));
    return image;
  };
  const invalid = async (name: string) => {
    const image = await pushRandomImage(host, repo(name));
    const signature = await sigstore.signBundle({ digest: image.digest, signer: release('v1.0.0') });
    await publishBundle(image, withFlippedBundleSignature(signature));
    return image;
  };
  const keySigned = async (name: string) => {
    const image = await pushRandomImage(host, repo(name));
    await cosignSign(image.ref, { key: cosignKey, format: 'bundle' });
    return image;
  };
  const runPod = async (name: string, image: Image | string) => {
    const ref = typeof image === 'string' ? image : image.ref;
    const got = await kubectl(['run', name, '-n', namespace, `--image=${ref}`, '--restart=Never']);
    expect(got.code, got.stderr).toBe(0);
  };
  const runDeployment = async (name: string, image: Image) => {
    const got = await kubectl(['create', 'deployment', name, '-n', namespace, `--image=${image.ref}`]);
    expect(got.code, got.stderr).toBe(0);
  };
  const applyPin = async (name: string, spec: object) => {
    const pin = { apiVersion: 'signwarden.dev/v1alpha1', kind: 'SignaturePin', metadata: { name }, spec };
    const got = await kubectl(['apply', '-f', '-'], { input: JSON.stringify(pin) });
    expect(got.code, got.stderr).toBe(0);
  };

  const pinReady = (name: string) =>
    eventually(async () => {
      const got = await kubectl([
        'get',
        'signaturepin',
        name,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ]);
      expect(got.stdout).toBe('True');
    }, WAIT);

  beforeAll(async () => {
    await installCrds();
    [sigstore, cosignKey] = await Promise.all([createTestSigstore(), cosignKeyPair()]);
    trustedRoot = await operatorTrustedRoot(sigstore);
    expect((await kubectl(['create', 'namespace', namespace])).code).toBe(0);
  });
  afterAll(async () => {
    await Promise.all(operators.map((op) => op.stop('SIGKILL')));
    await kubectl(['delete', 'namespace', namespace, '--wait=false']);
    const pins = (await kubectlItems<Finding>('signaturepins')).filter((p) => p.metadata.name.endsWith(run));
    if (pins.length > 0) await kubectl(['delete', 'signaturepins', ...pins.map((p) => p.metadata.name)]);
    await Promise.all([sigstore?.remove(), cosignKey?.remove()]);
  });

  it('cold: learns, admits what has no history, reports regressions at low severity and widens', async () => {
    const op = await start('cold', ['--establish-after=1h']);
    // A pin on another repository makes the key known, so key signatures are KeySigned.
    await applyPin(`keyed-${run}`, {
      repositories: [key('keyed')],
      signers: [{ key: { publicKey: cosignKey.publicKeyPem } }],
    });
    await pinReady(`keyed-${run}`);
    const api = await signed('api', release('v1.0.0'));
    const byKey = await keySigned('bykey');
    await runDeployment('api', api);
    await eventually(async () => {
      expect((await baselineOf('api')).status).toMatchObject({
        established: false,
        strongestPosture: 'Signed',
      });
    }, WAIT);
    await runPod('bykey', byKey);
    await eventually(async () => {
      expect((await baselineOf('bykey')).status?.signers?.[0]?.keyFingerprint).toMatch(/^sha256:/);
      expect((await baselineOf('bykey')).status?.strongestPosture).toBe('KeySigned');
    }, WAIT);

    // Nothing to regress against: unsigned, unverifiable and unreachable (Checking) learn nothing.
    const tool = await pushRandomImage(host, repo('tool'));
    const foreign = await signed('foreign', { ...release('v1.0.0'), ca: 'untrusted' });
    await runPod('tool', tool);
    await runDeployment('foreign', foreign);
    await runPod('ghost', `127.0.0.1:1/${repo('ghost')}@sha256:${'e'.repeat(64)}`);
    // Invalid is a finding even without history.
    const broken = await invalid('broken');
    await runPod('broken', broken);
    await eventually(async () => {
      expect(await findingsOf('broken')).toMatchObject([
        { spec: { kind: 'Invalid', subject: broken.digest }, status: { phase: 'Open', severity: 'Medium' } },
      ]);
    }, WAIT);
    await settled(op, [tool, foreign]);
    for (const name of ['tool', 'foreign', 'ghost']) {
      expect(await baselinesOf(name)).toEqual([]);
      expect(await findingsOf(name)).toEqual([]);
    }

    // Known signer (another release tag: the same canonical identity): continuous.
    const next = await signed('api', release('v1.1.0'));
    await runPod('api-next', next);
    // Cold regressions: unsigned is a low finding; a new signer is a low finding and widens.
    const apiUnsigned = await pushRandomImage(host, repo('api'));
    await runPod('api-unsigned', apiUnsigned);
    const apiMallory = await signed('api', mallory);
    await runDeployment('api-mallory', apiMallory);
    await eventually(async () => {
      const found = await findingsOf('api');
      expect(found.map((f) => [f.spec.kind, f.status?.severity, f.status?.phase]).sort()).toEqual([
        ['IdentityChanged', 'Low', 'Open'],
        ['Unsigned', 'Low', 'Open'],
      ]);
      expect((await baselineOf('api')).status?.signers?.map((s) => s.identity)).toEqual([
        'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/*',
        'mallory@evil.example',
      ]);
    }, WAIT);
    // Deleting a baseline resets trust: it is learned again, from scratch, from what runs.
    const reset = await baselineOf('bykey');
    expect((await kubectl(['delete', 'signingbaseline', reset.metadata.name])).code).toBe(0);
    await eventually(async () => {
      const again = await baselineOf('bykey');
      expect(again.metadata.uid).not.toBe(reset.metadata.uid);
      expect(again.status?.signers?.[0]?.keyFingerprint).toBe(reset.status?.signers?.[0]?.keyFingerprint);
    }, WAIT);
    // Events on the affected workloads.
    await eventually(async () => {
      const events = await kubectl([
        'get',
        'events',
        '-n',
        namespace,
        '--field-selector',
        'reason=SigningDrift',
      ]);
      expect(events.stdout).toContain('api-unsigned');
    }, WAIT);
  });

  it('pins: guard at once, take precedence over a baseline, and report an invalid regexp', async () => {
    const op = operators.at(-1)!;
    await applyPin(`pinned-${run}`, {
      repositories: [`${host}/continuity-${run}/pinned-*`],
      signers: [{ keyless: { issuer: GH, subjectRegExp: 'https://github\\.com/acme/.*' } }],
    });
    const ok = await signed('pinned-app', release('v2.0.0'));
    const other = await signed('pinned-app', mallory);
    const bare = await pushRandomImage(host, repo('pinned-app'));
    await runDeployment('pinned-ok', ok);
    await runPod('pinned-other', other);
    await runDeployment('pinned-bare', bare);
    // Pinned and unreachable: Checking is a PinViolation too.
    await applyPin(`pinned-ghost-${run}`, {
      repositories: [`127.0.0.1:1/continuity-${run}/**`],
      signers: [{ keyless: { issuer: GH, subject: 'x' } }],
    });
    await runPod('pinned-ghost', `127.0.0.1:1/${repo('deep/ghost')}@sha256:${'f'.repeat(64)}`);
    await eventually(async () => {
      const found = await findingsOf('pinned-app');
      expect(found.map((f) => [f.spec.kind, f.status?.severity, f.status?.digest]).sort()).toEqual(
        [
          ['PinViolation', 'Critical', bare.digest],
          ['PinViolation', 'Critical', other.digest],
        ].sort(),
      );
      const ghost = (await kubectlItems<Finding>('driftfindings')).filter(
        (f) => f.spec.repository === `127.0.0.1:1/${repo('deep/ghost')}`,
      );
      expect(ghost).toMatchObject([{ spec: { kind: 'PinViolation' } }]);
    }, WAIT);
    expect(await baselinesOf('pinned-app')).toEqual([]);

    // A pin added for a repository that already has a baseline takes precedence.
    await applyPin(`api-${run}`, {
      repositories: [key('api')],
      signers: [{ keyless: { issuer: GH, subject: 'someone-else@acme.example' } }],
    });
    await eventually(async () => {
      const violations = (await findingsOf('api')).filter((f) => f.spec.kind === 'PinViolation');
      expect(violations.length).toBeGreaterThanOrEqual(2);
      const pin = (
        await kubectlItems<{ metadata: { name: string }; status?: { matchedRepositories?: number } }>(
          'signaturepins',
        )
      ).find((p) => p.metadata.name === `api-${run}`);
      expect(pin?.status?.matchedRepositories).toBe(1);
    }, WAIT);
    expect(await kubectl(['delete', 'signaturepin', `api-${run}`])).toMatchObject({ code: 0 });

    // An invalid regexp: Invalid with a message; the operator keeps running.
    await applyPin(`typo-${run}`, {
      repositories: [key('typo')],
      signers: [{ keyless: { issuer: GH, subjectRegExp: '(unclosed' } }],
    });
    await eventually(async () => {
      const got = await kubectl(['get', 'signaturepin', `typo-${run}`, '-o', 'json']);
      const ready = (
        JSON.parse(got.stdout) as {
          status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
        }
      ).status?.conditions?.find((c) => c.type === 'Ready');
      expect(ready).toMatchObject({ status: 'False', reason: 'InvalidRegExp' });
      expect(ready?.message).toMatch(/does not compile/);
    }, WAIT);
    expect((await op.get('/healthz')).status).toBe(200);
    expect(op.child.exitCode).toBeNull();
  });

  it('survives a restart: the baseline is kept as it was, and established once old enough', async () => {
    const before = await baselineOf('api');
    await operators.at(-1)!.stop('SIGTERM');
    const op = await start('established', ['--establish-after=3s']);
    // Its first signature is older than 3s: the first reconcile, or the timed requeue, establishes it.
    await eventually(async () => expect((await baselineOf('api')).status?.established).toBe(true), WAIT);
    const after = await baselineOf('api');
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.status?.firstSignedTime).toBe(before.status?.firstSignedTime);
    expect(after.status?.signers).toHaveLength(2);
    expect(op.logs()).toContain('baseline established');
  });

  it('established: every regression is a high finding and is not learned until accepted', async () => {
    const op = operators.at(-1)!;
    const first = await signed('est', release('v1.0.0'));
    await runDeployment('est', first);
    // Learned cold, then established 3s later by the timed requeue: nothing else changes meanwhile.
    await eventually(async () => expect((await baselineOf('est')).status?.established).toBe(false), WAIT);
    await eventually(async () => expect((await baselineOf('est')).status?.established).toBe(true), WAIT);

    const bare = await pushRandomImage(host, repo('est'));
    const broken = await invalid('est');
    const intruder = await signed('est', mallory);
    const intruder2 = await signed('est', mallory);
    const issuer = await signed('est', otherIssuer);
    const byKey = await keySigned('est');
    await runDeployment('est-bare', bare);
    await runPod('est-broken', broken);
    await runPod('est-intruder', intruder);
    await runDeployment('est-intruder2', intruder2);
    await runPod('est-issuer', issuer);
    await runPod('est-bykey', byKey);
    await eventually(async () => {
      const found = await findingsOf('est');
      expect(found.map((f) => [f.spec.kind, f.status?.severity, f.status?.phase]).sort()).toEqual([
        ['Downgraded', 'High', 'Open'],
        ['IdentityChanged', 'High', 'Open'],
        ['Invalid', 'Critical', 'Open'],
        ['IssuerChanged', 'High', 'Open'],
        ['Unsigned', 'High', 'Open'],
      ]);
      // The second image of the new signer is the same finding, not learned: both workloads listed.
      const identity = found.find((f) => f.spec.kind === 'IdentityChanged');
      expect(identity?.status?.affectedWorkloads).toEqual(
        expect.arrayContaining([
          { kind: 'Pod', namespace, name: 'est-intruder' },
          { kind: 'Deployment', namespace, name: 'est-intruder2' },
        ]),
      );
    }, WAIT);
    expect((await baselineOf('est')).status?.signers).toHaveLength(1);

    // Accept the identity change: the baseline widens; a third image of that signer is continuous.
    const identity = (await findingsOf('est')).find((f) => f.spec.kind === 'IdentityChanged')!;
    await kubectl([
      'annotate',
      'driftfinding',
      identity.metadata.name,
      'signwarden.dev/accept=new release signer',
    ]);
    await eventually(async () => {
      const signers = (await baselineOf('est')).status?.signers ?? [];
      expect(signers.map((s) => [s.identity, s.learnedFrom])).toEqual([
        ['https://github.com/acme/api/.github/workflows/release.yml@refs/tags/*', 'Observed'],
        ['mallory@evil.example', 'Accepted'],
      ]);
      expect((await findingsOf('est')).find((f) => f.spec.kind === 'IdentityChanged')?.status).toMatchObject({
        phase: 'Accepted',
        acceptance: { reason: 'new release signer' },
      });
    }, WAIT);
    const third = await signed('est', mallory);
    await runPod('est-intruder3', third);
    await settled(op, [third]);
    expect((await findingsOf('est')).filter((f) => f.spec.kind === 'IdentityChanged')).toHaveLength(1);

    // Accept the unsigned digest: admitted as that digest only; another unsigned digest is a new finding.
    const unsigned = (await findingsOf('est')).find((f) => f.spec.kind === 'Unsigned')!;
    await kubectl(['annotate', 'driftfinding', unsigned.metadata.name, 'signwarden.dev/accept=hotfix']);
    const bare2 = await pushRandomImage(host, repo('est'));
    await runPod('est-bare2', bare2);
    await eventually(async () => {
      const found = (await findingsOf('est')).filter((f) => f.spec.kind === 'Unsigned');
      expect(found.map((f) => [f.spec.subject, f.status?.phase]).sort()).toEqual(
        [
          [bare.digest, 'Accepted'],
          [bare2.digest, 'Open'],
        ].sort(),
      );
    }, WAIT);

    // Nothing runs the second unsigned digest any more: resolved, then deleted after the TTL (6s).
    await kubectl(['delete', 'pod', 'est-bare2', '-n', namespace, '--grace-period=0', '--force']);
    await eventually(async () => {
      const gone = (await findingsOf('est')).find((f) => f.spec.subject === bare2.digest);
      expect(gone?.status?.phase ?? 'deleted').toMatch(/Resolved|deleted/);
    }, WAIT);
    await eventually(async () => {
      expect((await findingsOf('est')).find((f) => f.spec.subject === bare2.digest)).toBeUndefined();
    }, WAIT);
    expect(await metric(op, /^signwarden_findings_expired_total (\d+)$/m)).toBeGreaterThanOrEqual(1);
  });

  it('steady state: repeated sweeps with nothing changed write nothing', async () => {
    const op = operators.at(-1)!;
    // Let everything settle: postures are re-judged every 2s (--posture-ttl), findings expire.
    let last = -1;
    await eventually(
      async () => {
        const now = await writes(op);
        const stable = now === last;
        last = now;
        expect(stable).toBe(true);
      },
      { timeoutMs: 60_000, intervalMs: 3_000 },
    );
    const before = await writes(op);
    const reconciles = () =>
      metric(op, /^signwarden_reconcile_total\{controller="continuity",result="success"\} (\d+)$/m);
    const sweepsBefore = await reconciles();
    // Sweeps: touching a pin re-reconciles every known repository; touching baselines, their own.
    for (let i = 0; i < 3; i++) {
      await kubectl(['annotate', '--overwrite', 'signaturepin', `keyed-${run}`, `sweep=${i}`]);
      await kubectl(['label', '--overwrite', 'signingbaselines', '--all', `sweep=${i}`]);
    }
    await eventually(async () => expect(await reconciles()).toBeGreaterThan(sweepsBefore + 10), WAIT);
    await settled(op, []);
    expect(await writes(op)).toBe(before);
  });

  it('a SIGKILL in a burst loses nothing and duplicates nothing; with two replicas only the leader writes', async () => {
    const leader = operators.at(-1)!;
    const names = Array.from({ length: 8 }, (_, i) => `burst-${i}`);
    const images = await Promise.all(names.map((name) => signed(name, release('v3.0.0'))));
    const follower = await start('follower', ['--establish-after=3s'], false);
    // Half the burst, then SIGKILL as soon as the leader has begun writing; the other half arrives
    // while no one leads, and the follower takes over and finishes.
    const deploy = (from: number, to: number) =>
      Promise.all(names.slice(from, to).map((name, i) => runDeployment(name, images[from + i]!)));
    await deploy(0, 4);
    await eventually(async () => expect((await baselinesOf('burst-0')).length).toBe(1), WAIT);
    await leader.stop('SIGKILL');
    await deploy(4, 8);
    expect(await writes(follower)).toBe(0);
    await eventually(async () => {
      for (const [i, name] of names.entries()) {
        const baseline = await baselineOf(name);
        expect(baseline.status?.lastObserved?.digest).toBe(images[i]!.digest);
      }
    }, WAIT);
    expect(await writes(follower)).toBeGreaterThan(0);
    // Nothing lost: the established baseline and its accepted signer are still there, once.
    const est = await baselineOf('est');
    expect(est.status?.established).toBe(true);
    expect(est.status?.signers).toHaveLength(2);
    const all = await kubectlItems<Baseline>('signingbaselines');
    const repositories = all.map((b) => b.spec.repository);
    expect(new Set(repositories).size).toBe(repositories.length);
  });
});
