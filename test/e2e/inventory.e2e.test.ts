// The operator observes what the cluster runs and is about to run: Pods and the pod templates of
// workloads, tags resolved to digests, postures judged against the local registry, reported as
// metrics and structured logs. A registry that cannot be reached gives Checking, retried.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installCrds } from './harness/crds.ts';
import { kubectl } from './harness/kubectl.ts';
import { startOperator } from './harness/operator-process.ts';
import type { OperatorProcess } from './harness/operator-process.ts';
import { eventually } from './harness/poll.ts';
import type { Image } from './harness/signing/publish.ts';
import { publishBundle, publishLegacySignature, pushRandomImage } from './harness/signing/publish.ts';
import type { TestSigstore } from './harness/signing/test-sigstore.ts';
import { createTestSigstore, operatorTrustedRoot } from './harness/signing/test-sigstore.ts';

const host = inject('registryHost');
const run = randomBytes(3).toString('hex');
const namespace = `inventory-${run}`;
const signer = {
  subject: 'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1.0.0',
  issuer: 'https://token.actions.githubusercontent.com',
};

async function postures(op: OperatorProcess): Promise<Record<string, number>> {
  const text = (await op.get('/metrics')).body;
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^signwarden_image_postures\{posture="(\w+)"\} (\d+)$/gm))
    counts[m[1]!] = Number(m[2]);
  return counts;
}

interface ObservedLine {
  msg: string;
  repository: string;
  digest: string;
  posture: string;
  signers?: { identity?: string }[];
  checkingReason?: string;
}

const observed = (op: OperatorProcess): ObservedLine[] =>
  op
    .logs()
    .split('\n')
    .filter((line) => line.includes('"msg":"observed"'))
    .map((line) => JSON.parse(line) as ObservedLine);

describe('inventory', () => {
  let sigstore: TestSigstore;
  let op: OperatorProcess;
  let signed: Image;
  let legacySigned: Image;
  let unsigned: Image;

  beforeAll(async () => {
    await installCrds();
    sigstore = await createTestSigstore();
    signed = await pushRandomImage(host, `inventory-${run}/api`);
    await publishBundle(signed, await sigstore.signBundle({ digest: signed.digest, signer }));
    legacySigned = await pushRandomImage(host, `inventory-${run}/worker`);
    await publishLegacySignature(legacySigned, await sigstore.signLegacy({ ...legacySigned, signer }));
    unsigned = await pushRandomImage(host, `inventory-${run}/tool`);
    const trustedRoot = await operatorTrustedRoot(sigstore);
    expect((await kubectl(['create', 'namespace', namespace])).code).toBe(0);
    op = await startOperator({
      kubeconfig: inject('kubeconfig'),
      identity: `inventory-${run}`,
      namespace,
      args: [
        `--trusted-root=${trustedRoot}`,
        `--insecure-registries=${host}`,
        '--lease-duration=4s',
        '--renew-deadline=3s',
        '--retry-period=500ms',
      ],
    });
  });
  afterAll(async () => {
    await op?.stop();
    await kubectl(['delete', 'namespace', namespace, '--wait=false']);
    await sigstore?.remove();
  });

  it('judges the images of Pods and workload templates, tags resolved, and counts postures', async () => {
    const apply = (manifest: object) =>
      kubectl(['apply', '-n', namespace, '-f', '-'], { input: JSON.stringify(manifest) });
    const template = (image: string) => ({
      metadata: { labels: { app: 'x' } },
      spec: { containers: [{ name: 'main', image }] },
    });
    // A Deployment by digest, a CronJob by tag, a bare Pod with an init container.
    expect(
      (
        await apply({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'api' },
          spec: {
            selector: { matchLabels: { app: 'x' } },
            template: template(`${host}/${signed.repository}@${signed.digest}`),
          },
        })
      ).code,
    ).toBe(0);
    expect(
      (
        await apply({
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: { name: 'worker' },
          spec: {
            schedule: '0 0 1 1 *',
            jobTemplate: {
              spec: {
                template: {
                  ...template(legacySigned.ref),
                  spec: { ...template(legacySigned.ref).spec, restartPolicy: 'Never' },
                },
              },
            },
          },
        })
      ).code,
    ).toBe(0);
    expect(
      (
        await apply({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'tool' },
          spec: {
            initContainers: [{ name: 'init', image: unsigned.ref }],
            containers: [{ name: 'main', image: `${host}/${signed.repository}@${signed.digest}` }],
          },
        })
      ).code,
    ).toBe(0);

    await eventually(
      () => {
        const lines = observed(op);
        const of = (image: Image) => lines.find((l) => l.digest === image.digest);
        expect(of(signed)).toMatchObject({ posture: 'Signed', repository: `${host}/${signed.repository}` });
        expect(of(signed)?.signers?.[0]?.identity).toBe(signer.subject);
        expect(of(legacySigned)).toMatchObject({ posture: 'Signed' });
        expect(of(unsigned)).toMatchObject({ posture: 'Unsigned' });
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    await eventually(
      async () => {
        const counts = await postures(op);
        expect(counts.Signed).toBeGreaterThanOrEqual(2);
        expect(counts.Unsigned).toBeGreaterThanOrEqual(1);
      },
      { timeoutMs: 20_000 },
    );
    const metrics = (await op.get('/metrics')).body;
    expect(metrics).toMatch(
      new RegExp(
        `signwarden_registry_requests_total\\{host="${host.replace('.', '\\.')}",status="200"\\} [1-9]`,
      ),
    );
    expect(metrics).toMatch(/signwarden_verification_duration_seconds_count [1-9]/);
    // A digest already judged is served from the cache when another workload uses it.
    const again = await kubectl([
      'run',
      'again',
      '-n',
      namespace,
      `--image=${host}/${signed.repository}@${signed.digest}`,
    ]);
    expect(again.code).toBe(0);
    await eventually(
      async () =>
        expect((await op.get('/metrics')).body).toMatch(/signwarden_observer_cache_hits_total [1-9]/),
      {
        timeoutMs: 20_000,
      },
    );
  });

  it('reports an unreachable registry as Checking and keeps retrying, never as Unsigned', async () => {
    const image = `127.0.0.1:1/acme/ghost@sha256:${'d'.repeat(64)}`;
    expect(
      (await kubectl(['run', 'ghost', '-n', namespace, `--image=${image}`, '--restart=Never'])).code,
    ).toBe(0);
    await eventually(
      () => {
        const line = observed(op).find((l) => l.digest === `sha256:${'d'.repeat(64)}`);
        expect(line).toMatchObject({ posture: 'Checking', checkingReason: 'Unreachable' });
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    await eventually(
      () => expect(op.logs()).toMatch(/reconcile failed; retrying.*"key":"Pod\/[^"]+\/ghost".*"attempt":2/),
      {
        timeoutMs: 30_000,
        intervalMs: 500,
      },
    );
    expect(
      observed(op).some((l) => l.digest === `sha256:${'d'.repeat(64)}` && l.posture === 'Unsigned'),
    ).toBe(false);
  });
});
