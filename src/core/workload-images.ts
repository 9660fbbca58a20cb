// The images a workload runs or is about to run. Pods: every container kind, with the digest the
// runtime actually pulled (status imageID) where known; workloads: their pod template. Pure.
import type { V1Pod, V1PodSpec } from '@kubernetes/client-node';

export type ContainerKind = 'container' | 'init' | 'ephemeral';

export interface ImageUse {
  container: string;
  kind: ContainerKind;
  /** The image as written in the spec. */
  image: string;
  /** status.*ContainerStatuses[].imageID: the digest the runtime pulled, when it reported one. */
  imageID?: string;
}

export const WORKLOAD_KINDS = [
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** Every container of a pod spec, in spec order: init, regular, ephemeral. */
export function podSpecImages(spec: V1PodSpec | undefined): ImageUse[] {
  const uses: ImageUse[] = [];
  const add = (kind: ContainerKind, containers: { name: string; image?: string }[] | undefined) => {
    for (const c of containers ?? []) if (c.image) uses.push({ container: c.name, kind, image: c.image });
  };
  add('init', spec?.initContainers);
  add('container', spec?.containers);
  add('ephemeral', spec?.ephemeralContainers);
  return uses;
}

/** A pod's images, each with the imageID its container status reports. */
export function podImages(pod: V1Pod): ImageUse[] {
  const statuses = new Map<string, string>();
  const record = (kind: ContainerKind, list: { name: string; imageID?: string }[] | undefined) => {
    for (const s of list ?? []) if (s.imageID) statuses.set(`${kind}/${s.name}`, s.imageID);
  };
  record('init', pod.status?.initContainerStatuses);
  record('container', pod.status?.containerStatuses);
  record('ephemeral', pod.status?.ephemeralContainerStatuses);
  return podSpecImages(pod.spec).map((use) => {
    const imageID = statuses.get(`${use.kind}/${use.container}`);
    return imageID ? { ...use, imageID } : use;
  });
}

interface WorkloadObject {
  spec?: {
    template?: { spec?: V1PodSpec };
    jobTemplate?: { spec?: { template?: { spec?: V1PodSpec } } };
  };
}

/** The pod template of a workload (a CronJob's through its job template). */
export function workloadPodSpec(kind: WorkloadKind, obj: WorkloadObject): V1PodSpec | undefined {
  return kind === 'CronJob' ? obj.spec?.jobTemplate?.spec?.template?.spec : obj.spec?.template?.spec;
}
