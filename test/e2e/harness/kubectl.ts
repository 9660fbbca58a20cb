import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { inject } from 'vitest';

export type KubectlResult = { stdout: string; stderr: string; code: number };
export type KubectlOptions = { input?: string };

/**
 * Runs the kubectl at `bin` against the cluster of `kubeconfig`, with `input` on stdin (for
 * `apply -f -`). Resolves whatever the exit code, so callers can assert on failures too.
 */
export async function runKubectl(
  bin: string,
  kubeconfig: string,
  args: string[],
  opts: KubectlOptions = {},
): Promise<KubectlResult> {
  const child = spawn(bin, [`--kubeconfig=${kubeconfig}`, ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(opts.input);
  const [code] = (await once(child, 'close')) as [number | null];
  return { stdout, stderr, code: code ?? -1 };
}

/** kubectl in an e2e test, against the run's cluster. */
export function kubectl(args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  return runKubectl(inject('kubectl'), inject('kubeconfig'), args, opts);
}

/** The items of `kubectl get RESOURCE -o json` (in `namespace`, if given); throws if kubectl fails. */
export async function kubectlItems<T>(resource: string, namespace?: string): Promise<T[]> {
  const got = await kubectl(['get', resource, '-o', 'json', ...(namespace ? ['-n', namespace] : [])]);
  if (got.code !== 0) throw new Error(got.stderr);
  return (JSON.parse(got.stdout) as { items: T[] }).items;
}
