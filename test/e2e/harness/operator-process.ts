// Runs `signwarden run` as a real child process against the test control plane, the way a
// Deployment would run it, and reads its endpoints and logs.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onExit } from './cleanup.ts';
import { eventually } from './poll.ts';
import { freePorts } from './ports.ts';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

export interface OperatorProcess {
  identity: string;
  url: string;
  child: ChildProcess;
  logs: () => string;
  exited: Promise<number | null>;
  get: (path: string) => Promise<{ status: number; body: string }>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export async function startOperator(options: {
  kubeconfig: string;
  identity: string;
  namespace: string;
  args?: string[];
  /**
   * --enforcement: `off` unless a test is about enforcement, since the admission policy and the
   * parameters are cluster-wide and tests share one cluster.
   */
  enforcement?: 'manage' | 'parameters' | 'off';
}): Promise<OperatorProcess> {
  const [port] = await freePorts(1);
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'run',
      `--kubeconfig=${options.kubeconfig}`,
      `--identity=${options.identity}`,
      `--namespace=${options.namespace}`,
      `--http-address=127.0.0.1:${port}`,
      `--enforcement=${options.enforcement ?? 'off'}`,
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // A test that fails half-way must not leave an operator running.
  const cancelCleanup = onExit(() => child.kill('SIGKILL'));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      cancelCleanup();
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  return {
    identity: options.identity,
    url,
    child,
    logs: () => output,
    exited,
    get: async (path) => {
      const res = await fetch(url + path, { signal: AbortSignal.timeout(5000) });
      return { status: res.status, body: await res.text() };
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Waits until `op` reports ready on /readyz; fails at once, with its last log lines, if it exits. */
export async function operatorReady(op: OperatorProcess, timeoutMs = 60_000): Promise<void> {
  const exited = new AbortController();
  void op.exited.then((code) =>
    exited.abort(new Error(`operator exited with ${code}:\n${op.logs().split('\n').slice(-15).join('\n')}`)),
  );
  await eventually(
    async () => {
      const ready = JSON.parse((await op.get('/readyz')).body) as { ready?: boolean };
      if (ready.ready !== true) throw new Error('not ready yet');
    },
    { timeoutMs, intervalMs: 200, signal: exited.signal },
  );
}
