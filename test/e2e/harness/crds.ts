// Installs the generated CRDs (idempotent) and waits until the API server serves them.
import { fileURLToPath } from 'node:url';
import { KINDS } from '../../../src/api/kinds.ts';
import { resourceName } from '../../../src/api/resources.ts';
import type { KubectlResult } from './kubectl.ts';
import { kubectl } from './kubectl.ts';

const CRDS = fileURLToPath(new URL('../../../crds/', import.meta.url));

/** `run` runs kubectl with the given arguments; by default against the e2e run's cluster. */
export async function installCrds(
  run: (args: string[]) => Promise<KubectlResult> = (args) => kubectl(args),
): Promise<void> {
  const applied = await run(['apply', '--server-side', '--field-manager=signwarden', '-k', CRDS]);
  if (applied.code !== 0) throw new Error(`kubectl apply of crds/ failed: ${applied.stderr}`);
  const names = KINDS.map((def) => `crd/${resourceName(def)}`);
  const established = await run(['wait', '--for=condition=Established', '--timeout=60s', ...names]);
  if (established.code !== 0) throw new Error(`CRDs not established: ${established.stderr}`);
}
