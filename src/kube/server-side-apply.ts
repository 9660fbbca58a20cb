// Server-side apply of signwarden's custom resources and their status, always under one field
// manager, so the API server merges ownership and a re-apply of identical content writes nothing;
// and their deletion (evictions, expired findings).
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION } from '../api/group.ts';
import { statusCode } from './api-error.ts';

export const FIELD_MANAGER = 'signwarden';

export interface AppliedObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
  status?: unknown;
}

export class Applier {
  private readonly api: CustomObjectsApi;
  private readonly options = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

  constructor(kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** Applies metadata and spec of a cluster-scoped signwarden object. */
  async apply(plural: string, object: Omit<AppliedObject, 'status'>): Promise<unknown> {
    return this.api.patchClusterCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural,
        name: object.metadata.name,
        body: { apiVersion: API_VERSION, ...object },
        fieldManager: FIELD_MANAGER,
        force: true,
      },
      this.options,
    );
  }

  /** Applies the status subresource of a signwarden object (cluster-scoped unless `namespace`). */
  async applyStatus(
    plural: string,
    kind: string,
    name: string,
    status: unknown,
    namespace?: string,
  ): Promise<unknown> {
    const request = {
      group: GROUP,
      version: VERSION,
      plural,
      name,
      body: {
        apiVersion: API_VERSION,
        kind,
        metadata: { name, ...(namespace ? { namespace } : {}) },
        status,
      },
      fieldManager: FIELD_MANAGER,
      force: true,
    };
    return namespace
      ? this.api.patchNamespacedCustomObjectStatus({ ...request, namespace }, this.options)
      : this.api.patchClusterCustomObjectStatus(request, this.options);
  }

  /** Deletes a cluster-scoped signwarden object; one already gone is not an error. */
  async delete(plural: string, name: string): Promise<void> {
    try {
      await this.api.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural, name });
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
    }
  }
}
