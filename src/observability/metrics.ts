// The operator's Prometheus metrics: Node's default process metrics plus the controller layer's.
// One registry per operator process (tests create their own).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  queueDepth: Gauge<'controller'>;
  queueAdds: Counter<'controller'>;
  queueRetries: Counter<'controller'>;
  reconciles: Counter<'controller' | 'result'>;
  reconcileSeconds: Histogram<'controller'>;
  informerSynced: Gauge<'resource'>;
  informerRestarts: Counter<'resource'>;
  leader: Gauge;
}

export function createMetrics(options: { processMetrics: boolean } = { processMetrics: true }): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    queueDepth: new Gauge({
      name: 'signwarden_workqueue_depth',
      help: 'Keys waiting in a controller work queue.',
      labelNames: ['controller'],
      registers,
    }),
    queueAdds: new Counter({
      name: 'signwarden_workqueue_adds_total',
      help: 'Keys added to a controller work queue.',
      labelNames: ['controller'],
      registers,
    }),
    queueRetries: new Counter({
      name: 'signwarden_workqueue_retries_total',
      help: 'Keys requeued with backoff after a failed reconcile.',
      labelNames: ['controller'],
      registers,
    }),
    reconciles: new Counter({
      name: 'signwarden_reconcile_total',
      help: 'Reconciles by controller and result (success, error).',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileSeconds: new Histogram({
      name: 'signwarden_reconcile_duration_seconds',
      help: 'Time spent in one reconcile.',
      labelNames: ['controller'],
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10],
      registers,
    }),
    informerSynced: new Gauge({
      name: 'signwarden_informer_synced',
      help: '1 once an informer has listed its resource, 0 while it (re)starts.',
      labelNames: ['resource'],
      registers,
    }),
    informerRestarts: new Counter({
      name: 'signwarden_informer_restarts_total',
      help: 'Informer restarts after watch errors.',
      labelNames: ['resource'],
      registers,
    }),
    leader: new Gauge({
      name: 'signwarden_leader',
      help: '1 while this process holds the leader lease.',
      registers,
    }),
  };
}
