// `make cluster-up` / `make cluster-down`: a control plane and a registry on loopback that outlive
// this script, for trying signwarden by hand or running the e2e tests against
// (SIGNWARDEN_KUBECONFIG). Their state, logs and pid files are kept in .cache/cluster/.
//
//   node hack/cluster.ts up | down
import { existsSync } from 'node:fs';
import { copyFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane } from '../test/e2e/harness/control-plane.ts';
import { stopOrphans, stopRecorded } from '../test/e2e/harness/processes.ts';
import { startRegistry } from '../test/e2e/harness/registry.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, '.cache', 'cluster');

async function up(): Promise<void> {
  if (existsSync(dir)) throw new Error(`${relative(root, dir)} exists: run \`make cluster-down\` first`);
  try {
    const controlPlane = await startControlPlane({ dir: join(dir, 'control-plane'), detached: true });
    const registry = await startRegistry({ dir: join(dir, 'registry'), detached: true });
    const kubeconfig = join(dir, 'kubeconfig');
    await copyFile(controlPlane.kubeconfig, kubeconfig);
    const env = join(dir, 'env');
    await writeFile(
      env,
      `KUBECONFIG=${kubeconfig}\nREGISTRY=${registry.host}\nKUBECTL=${controlPlane.kubectl}\n`,
    );
    process.stdout.write(
      `Kubernetes ${controlPlane.version} at ${controlPlane.server}, registry at ${registry.host}.\n` +
        `Settings are in ${env}; for example:\n` +
        `  export KUBECONFIG=${kubeconfig}\n` +
        `  ${controlPlane.kubectl} get namespaces\n` +
        `  SIGNWARDEN_KUBECONFIG=${kubeconfig} npm run test:e2e\n` +
        `Logs are in ${dir}; stop it all with \`make cluster-down\`.\n`,
    );
  } catch (err) {
    await down();
    throw err;
  }
}

async function down(): Promise<void> {
  await stopRecorded(dir);
  await rm(dir, { recursive: true, force: true });
  // Also what e2e runs that were killed outright left behind.
  for (const orphan of await stopOrphans()) process.stderr.write(`removed leftovers in ${orphan}\n`);
}

const commands: Record<string, () => Promise<void>> = { up, down };
const command = commands[process.argv[2] ?? ''];
if (!command) {
  process.stderr.write('usage: node hack/cluster.ts up|down\n');
  process.exitCode = 2;
} else {
  // A failure's message says all there is (a failed start includes the end of the log): no stack.
  await command().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
