// Loads the kubeconfig the operator and the CLI talk to the API server with.
import { KubeConfig } from '@kubernetes/client-node';
import { accessSync, constants } from 'node:fs';

export class KubeConfigError extends Error {}

/** From `path` if given, otherwise $KUBECONFIG, ~/.kube/config or the in-cluster service account. */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    if (path !== undefined) {
      accessSync(path, constants.R_OK);
      kubeConfig.loadFromFile(path);
    } else {
      kubeConfig.loadFromDefault();
    }
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new KubeConfigError(`cannot load kubeconfig ${path ?? '(default)'}: ${reason}`);
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new KubeConfigError(`cannot load kubeconfig ${path ?? '(default)'}: it names no current cluster`);
  }
  return kubeConfig;
}
