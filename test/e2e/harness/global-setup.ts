import type { TestProject } from 'vitest/node';
import { binaries } from './binaries.ts';
import type { ControlPlane } from './control-plane.ts';
import { startControlPlane } from './control-plane.ts';
import { startRegistry } from './registry.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of an admin kubeconfig. */
    kubeconfig: string;
    /** Path of the kubectl built for the tests. */
    kubectl: string;
    /** Kubernetes version of the built binaries, e.g. v1.36.3. */
    kubernetesVersion: string;
    /** 127.0.0.1:PORT of a registry without authentication. */
    registryHost: string;
    /** The API server's audit log ('' for a cluster of SIGNWARDEN_KUBECONFIG, whose log is elsewhere). */
    auditLog: string;
    /** 127.0.0.1:PORT of a registry that serves the OCI referrers API. */
    referrersRegistryHost: string;
  }
}

/**
 * One control plane and two registries for the whole e2e run: distribution (no referrers API) and
 * go-containerregistry's (the referrers API). SIGNWARDEN_KUBECONFIG, if set, names an existing
 * cluster to use instead, such as the one `make cluster-up` starts.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bin = await binaries();
  let kubeconfig = process.env.SIGNWARDEN_KUBECONFIG;
  let controlPlane: ControlPlane | undefined;
  if (kubeconfig) {
    process.stderr.write(`e2e: using the cluster of SIGNWARDEN_KUBECONFIG=${kubeconfig}\n`);
  } else {
    controlPlane = await timed(
      'control plane',
      () => startControlPlane({ audit: true }),
      (cp) => `${cp.server} (${cp.dir})`,
    );
    kubeconfig = controlPlane.kubeconfig;
  }
  const registry = await timed(
    'registry',
    () => startRegistry(),
    (r) => r.host,
  );
  const referrersRegistry = await timed(
    'referrers registry (ggcr)',
    () => startRegistry({ implementation: 'ggcr' }),
    (r) => r.host,
  );

  project.provide('kubeconfig', kubeconfig);
  project.provide('kubectl', bin.kubectl);
  project.provide('kubernetesVersion', bin.kubernetesVersion);
  project.provide('registryHost', registry.host);
  project.provide('auditLog', controlPlane?.auditLog ?? '');
  project.provide('referrersRegistryHost', referrersRegistry.host);
  return async () => {
    await Promise.all([controlPlane?.stop(), registry.stop(), referrersRegistry.stop()]);
  };
}

async function timed<T>(what: string, start: () => Promise<T>, describe: (service: T) => string): Promise<T> {
  const since = performance.now();
  const service = await start();
  const seconds = ((performance.now() - since) / 1000).toFixed(1);
  process.stderr.write(`e2e: ${what} ${describe(service)} up in ${seconds} s\n`);
  return service;
}
