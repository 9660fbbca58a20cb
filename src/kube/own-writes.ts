// The objects this replica wrote or deleted, until its informer has caught up with them. A reconcile
// that runs between a write and the watch event for it must start from what was written, or it
// would compute from the older object and write again (rewriting, say, a baseline's first-seen
// times), or count an object it just deleted.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResilientInformer } from './informer.ts';

/** Resource versions are opaque, but etcd's are integers: newer-or-equal when both parse. */
function caughtUp(cached: KubernetesObject, written: KubernetesObject): boolean {
  const [a, b] = [cached.metadata?.resourceVersion, written.metadata?.resourceVersion];
  if (a === b || !a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return true;
  return BigInt(a) >= BigInt(b);
}

export class OwnWrites {
  private readonly informer: ResilientInformer<KubernetesObject>;
  /** null: deleted by us. */
  private readonly written = new Map<string, KubernetesObject | null>();

  constructor(informer: ResilientInformer<KubernetesObject>) {
    this.informer = informer;
    informer.onChange((obj) => {
      const name = obj.metadata?.name ?? '';
      if (!this.written.has(name)) return;
      const mine = this.written.get(name);
      const cached = informer.get(name);
      // Gone from the cache (deleted by a user or by us), or it holds our write or a later one.
      if (!cached || (mine && caughtUp(cached, mine))) this.written.delete(name);
    });
  }

  wrote(obj: unknown): void {
    const name = (obj as KubernetesObject).metadata?.name;
    if (name) this.written.set(name, obj as KubernetesObject);
  }

  deleted(name: string): void {
    this.written.set(name, null);
  }

  get(name: string): KubernetesObject | undefined {
    const mine = this.written.get(name);
    return mine === null ? undefined : (mine ?? this.informer.get(name));
  }

  list(): KubernetesObject[] {
    const names = new Set([
      ...this.informer.list().map((o) => o.metadata?.name ?? ''),
      ...this.written.keys(),
    ]);
    return [...names].flatMap((name) => this.get(name) ?? []);
  }
}
