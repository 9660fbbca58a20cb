// Registry credentials for a workload, in the order the kubelet would use them: the pod's
// imagePullSecrets, then its ServiceAccount's, then the Secrets the operator was configured with,
// then anonymous. Secrets are read on demand (never listed or watched) and cached briefly.
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { LruCache } from '../observe/lru-cache.ts';
import { anonymous, chainCredentialProviders, dockerConfigCredentials } from '../registry/credentials.ts';
import type { CredentialProvider } from '../registry/credentials.ts';
import { statusCode } from './api-error.ts';

const CACHE_TTL_MS = 60_000;

export interface SecretRef {
  namespace: string;
  name: string;
}

export class PullCredentials {
  private readonly core: CoreV1Api;
  private readonly configured: readonly SecretRef[];
  private readonly providers = new LruCache<Promise<CredentialProvider>>(1024);
  private readonly accountSecrets = new LruCache<Promise<string[]>>(1024);

  constructor(kubeConfig: KubeConfig, configured: readonly SecretRef[]) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.configured = configured;
  }

  /** The credential chain for a pod (spec) in `namespace`. */
  async forPod(
    namespace: string,
    spec: { imagePullSecrets?: { name?: string }[]; serviceAccountName?: string } | undefined,
  ): Promise<CredentialProvider> {
    const own = (spec?.imagePullSecrets ?? []).flatMap((s) => (s.name ? [{ namespace, name: s.name }] : []));
    const account = (await this.serviceAccountSecrets(namespace, spec?.serviceAccountName ?? 'default')).map(
      (name) => ({ namespace, name }),
    );
    const chain = await Promise.all([...own, ...account, ...this.configured].map((ref) => this.secret(ref)));
    return chainCredentialProviders(...chain, anonymous);
  }

  /** The credential chain where there is no pod (watching a registry): the operator's Secrets, then anonymous. */
  async forOperator(): Promise<CredentialProvider> {
    const chain = await Promise.all(this.configured.map((ref) => this.secret(ref)));
    return chainCredentialProviders(...chain, anonymous);
  }

  private serviceAccountSecrets(namespace: string, name: string): Promise<string[]> {
    const key = `${namespace}/${name}`;
    let names = this.accountSecrets.get(key);
    if (!names) {
      names = this.core.readNamespacedServiceAccount({ namespace, name }).then(
        (sa) => (sa.imagePullSecrets ?? []).flatMap((s) => (s.name ? [s.name] : [])),
        (error: unknown) => {
          // No ServiceAccount (yet): no secrets from it. Anything else is retried by the caller.
          if (statusCode(error) === 404) return [];
          this.accountSecrets.delete(key);
          throw error;
        },
      );
      this.accountSecrets.set(key, names, CACHE_TTL_MS);
    }
    return names;
  }

  /** A Secret as a credential provider; a missing or unreadable one provides nothing. */
  private secret(ref: SecretRef): Promise<CredentialProvider> {
    const key = `${ref.namespace}/${ref.name}`;
    let provider = this.providers.get(key);
    if (!provider) {
      provider = this.core.readNamespacedSecret(ref).then(
        (secret) => {
          const data = secret.data?.['.dockerconfigjson'];
          if (data === undefined) return anonymous;
          try {
            return dockerConfigCredentials(Buffer.from(data, 'base64'));
          } catch {
            return anonymous;
          }
        },
        () => anonymous,
      );
      this.providers.set(key, provider, CACHE_TTL_MS);
    }
    return provider;
  }
}
