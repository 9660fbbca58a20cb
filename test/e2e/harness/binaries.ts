import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const buildScript = fileURLToPath(new URL('../../../hack/tools/build.sh', import.meta.url));

const Binaries = z.object({
  kubeApiserver: z.string(),
  kubeControllerManager: z.string(),
  kubectl: z.string(),
  etcd: z.string(),
  registry: z.string(),
  cosign: z.string(),
  crane: z.string(),
  /** go-containerregistry's registry with the OCI referrers API on (hack/tools/crane/ggcr-registry). */
  ggcrRegistry: z.string(),
  kubernetesVersion: z.string(),
});
export type Binaries = z.infer<typeof Binaries>;

let cached: Promise<Binaries> | undefined;

/**
 * Paths of the programs the harness runs, from hack/tools/build.sh: fast once they are built (it
 * only prints them), slow the first time on a machine (it builds them; its progress goes to stderr).
 */
export function binaries(): Promise<Binaries> {
  cached ??= build();
  return cached;
}

async function build(): Promise<Binaries> {
  const child = spawn('bash', [buildScript], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`${buildScript} failed with exit code ${code}`);
  return Binaries.parse(JSON.parse(stdout));
}
