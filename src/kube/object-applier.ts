// Server-side apply and deletion of objects of any kind, resolved through discovery (the admission
// policy, its bindings, the enforcement parameters), under the same field manager as signwarden's
// own kinds.
import { KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { statusCode } from './api-error.ts';
import { FIELD_MANAGER } from './server-side-apply.ts';

export class ObjectApplier {
  private readonly api: KubernetesObjectApi;

  constructor(kubeConfig: KubeConfig) {
    this.api = KubernetesObjectApi.makeApiClient(kubeConfig);
  }

  /** Applies the object: created if absent, updated in place (never recreated) if present. */
  async apply<T extends KubernetesObject>(object: T): Promise<T> {
    return this.api.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }

  /** Deletes the object; one already gone is not an error. */
  async delete(object: KubernetesObject): Promise<void> {
    try {
      await this.api.delete(object);
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
    }
  }
}
