// `signwarden run` as a process: endpoints, readiness, leader election, graceful shutdown, and the
// SignaturePin controller reporting through status, conditions and events.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installCrds } from './harness/crds.ts';
import { kubectl } from './harness/kubectl.ts';
import { startOperator } from './harness/operator-process.ts';
import type { OperatorProcess } from './harness/operator-process.ts';
import { eventually } from './harness/poll.ts';

const LEASE = ['--lease-duration=4s', '--renew-deadline=3s', '--retry-period=500ms'];

interface Lease {
  spec?: { holderIdentity?: string };
}

async function leaseHolder(namespace: string): Promise<string | undefined> {
  const got = await kubectl(['get', 'lease', 'signwarden-leader', '-n', namespace, '-o', 'json']);
  if (got.code !== 0) throw new Error(got.stderr);
  return (JSON.parse(got.stdout) as Lease).spec?.holderIdentity ?? undefined;
}

async function readyz(op: OperatorProcess): Promise<{ ready: boolean; leader: boolean }> {
  return JSON.parse((await op.get('/readyz')).body) as { ready: boolean; leader: boolean };
}

async function metric(op: OperatorProcess, name: string): Promise<number> {
  const text = (await op.get('/metrics')).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  if (!line) throw new Error(`no metric ${name}`);
  return Number(line.split(' ').at(-1));
}

describe('signwarden run', () => {
  const kubeconfig = inject('kubeconfig');
  const namespace = `sw-${randomBytes(3).toString('hex')}`;
  const operators: OperatorProcess[] = [];
  const start = async (identity: string, args: string[] = []) => {
    const op = await startOperator({ kubeconfig, identity, namespace, args: [...LEASE, ...args] });
    operators.push(op);
    return op;
  };

  beforeAll(async () => {
    await installCrds();
    expect((await kubectl(['create', 'namespace', namespace])).code).toBe(0);
  });
  afterAll(async () => {
    await Promise.all(operators.map((op) => op.stop('SIGKILL')));
    await kubectl(['delete', 'namespace', namespace, '--wait=false']);
  });

  it('serves /healthz, and /readyz stays 503 while its informers cannot sync', async () => {
    const unreachable = `${kubeconfig}.unreachable`;
    writeFileSync(
      unreachable,
      readFileSync(kubeconfig, 'utf8').replace(/server: https:\/\/\S+/, 'server: https://127.0.0.1:1'),
    );
    const op = await start('unreachable', [`--kubeconfig=${unreachable}`]);
    await eventually(async () => expect((await op.get('/healthz')).status).toBe(200), { timeoutMs: 20_000 });
    const ready = await op.get('/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({
      ready: false,
      informers: { 'signaturepins.signwarden.dev': false },
    });
    expect(await op.stop()).toBe(0);
  });

  it('becomes ready once synced and serves metrics', async () => {
    const op = await start('solo');
    await eventually(async () => expect((await op.get('/readyz')).status).toBe(200), { timeoutMs: 30_000 });
    const metrics = (await op.get('/metrics')).body;
    expect(metrics).toContain('process_cpu_seconds_total');
    expect(metrics).toContain('signwarden_informer_synced{resource="signaturepins.signwarden.dev"} 1');
    await eventually(async () => expect(await metric(op, 'signwarden_leader')).toBe(1), {
      timeoutMs: 20_000,
    });
    expect(await op.stop()).toBe(0);
  });

  it('elects exactly one leader; SIGKILL hands over within the lease duration; SIGTERM releases at once', async () => {
    const a = await start('replica-a');
    const b = await start('replica-b');
    const both = [a, b];
    await eventually(
      async () => {
        const states = await Promise.all(both.map(readyz));
        expect(states.every((s) => s.ready)).toBe(true);
        expect(states.filter((s) => s.leader)).toHaveLength(1);
      },
      { timeoutMs: 30_000 },
    );
    const holder = await leaseHolder(namespace);
    const leader = both.find((op) => op.identity === holder)!;
    const follower = both.find((op) => op !== leader)!;
    expect((await readyz(leader)).leader).toBe(true);
    expect((await readyz(follower)).leader).toBe(false);
    expect(await metric(follower, 'signwarden_leader')).toBe(0);

    // SIGKILL: no release; the follower waits out the 4 s lease (plus a retry period).
    const killedAt = Date.now();
    await leader.stop('SIGKILL');
    await eventually(async () => expect(await leaseHolder(namespace)).toBe(follower.identity), {
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    const handover = Date.now() - killedAt;
    expect(handover).toBeLessThan(4_000 + 2_000);
    await eventually(async () => expect((await readyz(follower)).leader).toBe(true), { timeoutMs: 5_000 });

    // SIGTERM: exit 0 and the lease is released at once, so a new replica takes over without waiting.
    const c = await start('replica-c');
    await eventually(async () => expect((await readyz(c)).ready).toBe(true), { timeoutMs: 30_000 });
    const stoppedAt = Date.now();
    expect(await follower.stop('SIGTERM')).toBe(0);
    // Released before the process exited: free, or already taken by replica-c (it tries every 500 ms).
    expect([undefined, 'replica-c']).toContain(await leaseHolder(namespace));
    await eventually(async () => expect(await leaseHolder(namespace)).toBe('replica-c'), {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    // Without the release replica-c would wait out the 4 s lease from the last renewal (at most
    // 500 ms before the stop), so not before 3.5 s.
    expect(Date.now() - stoppedAt).toBeLessThan(3_000);
    expect(follower.logs()).toContain('released leadership');
    expect(await c.stop('SIGTERM')).toBe(0);
  });

  it('reports pins through status: Ready with a selector summary, or Invalid with the reason and an event', async () => {
    const op = await start('pins');
    await eventually(async () => expect((await readyz(op)).leader).toBe(true), { timeoutMs: 30_000 });
    const apply = (name: string, spec: unknown) =>
      kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'signwarden.dev/v1alpha1',
          kind: 'SignaturePin',
          metadata: { name },
          spec,
        }),
      });
    const issuer = 'https://token.actions.githubusercontent.com';
    expect(
      (
        await apply('good', {
          repositories: ['ghcr.io/acme/*', 'ghcr.io/acme2/*'],
          signers: [{ keyless: { issuer, subjectRegExp: 'https://github\\.com/acme/.*' } }],
        })
      ).code,
    ).toBe(0);
    expect(
      (
        await apply('bad-regexp', {
          repositories: ['ghcr.io/evil/*'],
          signers: [{ keyless: { issuer, subjectRegExp: '(' } }],
        })
      ).code,
    ).toBe(0);
    expect(
      (
        await apply('missing-secret', {
          repositories: ['ghcr.io/x/*'],
          signers: [{ key: { secretRef: { namespace, name: 'nope', key: 'cosign.pub' } } }],
        })
      ).code,
    ).toBe(0);

    const condition = async (name: string) => {
      const got = await kubectl([
        'get',
        'pin',
        name,
        '-o',
        'jsonpath={.status.observedGeneration} {.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason}',
      ]);
      return got.stdout;
    };
    await eventually(async () => expect(await condition('good')).toBe('1 True Valid'), { timeoutMs: 20_000 });
    await eventually(async () => expect(await condition('bad-regexp')).toBe('1 False InvalidRegExp'), {
      timeoutMs: 20_000,
    });
    await eventually(async () => expect(await condition('missing-secret')).toBe('1 False SecretNotFound'), {
      timeoutMs: 20_000,
    });

    const listed = await kubectl(['get', 'pin', 'good']);
    expect(listed.stdout).toMatch(/good\s+ghcr\.io\/acme\/\* \(\+1\)\s+0\s+True/);
    const message = await kubectl([
      'get',
      'pin',
      'bad-regexp',
      '-o',
      'jsonpath={.status.conditions[0].message}',
    ]);
    expect(message.stdout).toMatch(/^spec\.signers\[0\]\.keyless\.subjectRegExp does not compile/);

    await eventually(
      async () => {
        const events = await kubectl(['get', 'events.events.k8s.io', '-n', 'default', '-o', 'json']);
        const items = (
          JSON.parse(events.stdout) as { items: { reason: string; regarding: { name: string } }[] }
        ).items;
        expect(items.some((e) => e.reason === 'InvalidRegExp' && e.regarding.name === 'bad-regexp')).toBe(
          true,
        );
      },
      { timeoutMs: 20_000 },
    );

    // Fixing the pin makes it Ready for the new generation; the operator kept running throughout.
    expect(
      (
        await apply('bad-regexp', {
          repositories: ['ghcr.io/evil/*'],
          signers: [{ keyless: { issuer, subjectRegExp: 'ok' } }],
        })
      ).code,
    ).toBe(0);
    await eventually(async () => expect(await condition('bad-regexp')).toBe('2 True Valid'), {
      timeoutMs: 20_000,
    });
    expect(op.child.exitCode).toBeNull();
    await kubectl(['delete', 'pin', 'good', 'bad-regexp', 'missing-secret']);
  });
});
