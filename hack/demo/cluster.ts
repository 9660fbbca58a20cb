// The demo's moving parts and how to stop them: a control plane, a registry, the signing material
// and the operator, each stopped (newest first) by stopAll(), also after a failure half-way. A
// Ctrl-C or a crash is covered by the harness: its processes and directories go when this one exits.
import { startControlPlane } from '../../test/e2e/harness/control-plane.ts';
import type { ControlPlane } from '../../test/e2e/harness/control-plane.ts';
import { startOperator } from '../../test/e2e/harness/operator-process.ts';
import type { OperatorProcess } from '../../test/e2e/harness/operator-process.ts';
import { startRegistry } from '../../test/e2e/harness/registry.ts';
import type { Registry } from '../../test/e2e/harness/registry.ts';
import { createSigning } from './images.ts';
import type { Signing } from './images.ts';
import { giveUp, waitFor } from './terminal.ts';

const stops: (() => Promise<unknown>)[] = [];

/** Stops whatever was started, newest first; reports failures instead of throwing them. */
export async function stopAll(): Promise<void> {
  for (const stop of stops.splice(0).reverse()) {
    await stop().catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`));
  }
}

/** A registry first (the signing material needs its address), then the control plane and the signing material together. */
export async function startEnvironment(): Promise<{
  cluster: ControlPlane;
  registry: Registry;
  signing: Signing;
}> {
  const registry = await startRegistry();
  stops.push(() => registry.stop());
  const [cluster, signing] = await Promise.allSettled([startControlPlane(), createSigning(registry.host)]);
  if (cluster.status === 'fulfilled') stops.push(() => cluster.value.stop());
  if (signing.status === 'fulfilled') stops.push(() => signing.value.remove());
  if (cluster.status === 'rejected') throw cluster.reason;
  if (signing.status === 'rejected') throw signing.reason;
  return { cluster: cluster.value, registry, signing: signing.value };
}

/**
 * Starts `signwarden run` and waits until it leads; it is killed by stopAll() unless stopped before.
 * Should it exit before stop() is called, every wait gives up at once.
 */
export async function runOperator(kubeconfig: string, args: string[]): Promise<OperatorProcess> {
  const operator = await startOperator({
    kubeconfig,
    identity: 'demo',
    namespace: 'signwarden-system',
    // The default of `signwarden run`: the tour ends with enforcement.
    enforcement: 'manage',
    args,
  });
  let stopping = false;
  stops.push(() => operator.stop('SIGKILL'));
  operator.child.once('exit', (code, signal) => {
    if (!stopping) giveUp.abort(`the operator exited unexpectedly (${signal ?? `exit code ${code}`})`);
  });
  await waitFor('the operator to be ready and lead', 30, async () => {
    const ready = await operator.get('/readyz');
    if (!(JSON.parse(ready.body) as { leader?: boolean }).leader) throw new Error(`/readyz: ${ready.body}`);
  });
  return {
    ...operator,
    stop: (signal) => {
      stopping = true;
      return operator.stop(signal);
    },
  };
}

/** The last lines the operator logged, for an error report. */
export const tail = (operator: OperatorProcess | undefined, lines = 20) =>
  operator?.logs().trimEnd().split('\n').slice(-lines).join('\n') ?? '';

/** The posture the operator last logged for `digest` ("observed" lines of its JSON log), if any. */
export function observedPosture(operator: OperatorProcess, digest: string): string | undefined {
  let posture: string | undefined;
  for (const line of operator.logs().split('\n')) {
    if (!line.includes(digest)) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; digest?: string; posture?: string };
      if (entry.msg === 'observed' && entry.digest === digest) posture = entry.posture;
    } catch {
      // not a log entry of its own (a line of a multi-line message)
    }
  }
  return posture;
}
