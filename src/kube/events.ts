// Kubernetes Events (events.k8s.io/v1) about objects, deduplicated: a repeat of the same event on
// the same object within the series window bumps its count instead of creating another object.
import { EventsV1Api, V1MicroTime } from '@kubernetes/client-node';
import type { EventsV1Event, KubeConfig } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import type { Logger } from '../log/logger.ts';
import { describeError } from './api-error.ts';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface EventRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

const MAX_NOTE = 1024;

export class EventRecorder {
  private readonly api: EventsV1Api;
  private readonly logger: Logger;
  private readonly controller: string;
  private readonly instance: string;
  private readonly recent = new Map<string, { event: EventsV1Event; count: number }>();

  constructor(kubeConfig: KubeConfig, options: { controller: string; instance: string }, logger: Logger) {
    this.api = kubeConfig.makeApiClient(EventsV1Api);
    this.controller = options.controller;
    this.instance = options.instance;
    this.logger = logger;
  }

  async record(target: EventTarget, record: EventRecord): Promise<void> {
    // The API server requires events about cluster-scoped objects to live in `default`.
    const namespace = target.namespace ?? 'default';
    const note = record.note.length > MAX_NOTE ? `${record.note.slice(0, MAX_NOTE - 1)}…` : record.note;
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          target.kind,
          target.namespace,
          target.name,
          target.uid,
          record.type,
          record.reason,
          note,
        ]),
      )
      .digest('hex')
      .slice(0, 16);
    try {
      const seen = this.recent.get(key);
      if (seen) {
        seen.count++;
        seen.event = await this.api.replaceNamespacedEvent({
          namespace,
          name: seen.event.metadata!.name!,
          body: { ...seen.event, series: { count: seen.count, lastObservedTime: new V1MicroTime() } },
        });
        return;
      }
      const event = await this.api.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${target.name.slice(0, 200)}-`, namespace },
          eventTime: new V1MicroTime(),
          reportingController: this.controller,
          reportingInstance: this.instance,
          type: record.type,
          reason: record.reason,
          action: record.action,
          note,
          regarding: {
            apiVersion: target.apiVersion,
            kind: target.kind,
            name: target.name,
            namespace: target.namespace,
            uid: target.uid,
          },
        },
      });
      this.recent.set(key, { event, count: 1 });
      if (this.recent.size > 1000) this.recent.delete(this.recent.keys().next().value!);
    } catch (error) {
      // Events are best effort: losing one must never fail a reconcile.
      this.recent.delete(key);
      this.logger.warn('could not record event', { reason: record.reason, error: describeError(error) });
    }
  }
}
