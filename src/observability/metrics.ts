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
  verificationSeconds: Histogram;
  registryRequests: Counter<'host' | 'status'>;
  observerCacheHits: Counter;
  observerInFlight: Gauge;
  imageReferenceErrors: Counter;
  kubeApiRequests: Counter<'verb' | 'resource'>;
  baselines: Gauge<'established' | 'corroboration'>;
  findings: Gauge<'kind' | 'phase' | 'severity'>;
  baselineEvictions: Counter;
  findingsExpired: Counter;
  findingsDropped: Counter;
  tagListings: Counter<'result'>;
  tagListingsTruncated: Counter<'reason'>;
  tagsWatched: Gauge;
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
    verificationSeconds: new Histogram({
      name: 'signwarden_verification_duration_seconds',
      help: 'Time to judge one digest: signature discovery in the registry plus verification.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    registryRequests: new Counter({
      name: 'signwarden_registry_requests_total',
      help: 'Registry requests by host and HTTP status (error: no response).',
      labelNames: ['host', 'status'],
      registers,
    }),
    observerCacheHits: new Counter({
      name: 'signwarden_observer_cache_hits_total',
      help: 'Observations answered from the posture cache.',
      registers,
    }),
    observerInFlight: new Gauge({
      name: 'signwarden_observer_in_flight',
      help: 'Digests being judged now.',
      registers,
    }),
    imageReferenceErrors: new Counter({
      name: 'signwarden_image_reference_errors_total',
      help: 'Image references in pods and templates that could not be parsed.',
      registers,
    }),
    kubeApiRequests: new Counter({
      name: 'signwarden_kube_api_requests_total',
      help: 'Requests to the Kubernetes API server by verb (get, list, watch, create, update, patch, delete) and resource.',
      labelNames: ['verb', 'resource'],
      registers,
    }),
    baselines: new Gauge({
      name: 'signwarden_baselines',
      help: 'SigningBaselines by established (true, false) and transparency-log corroboration.',
      labelNames: ['established', 'corroboration'],
      registers,
    }),
    findings: new Gauge({
      name: 'signwarden_findings',
      help: 'DriftFindings by kind, phase and severity.',
      labelNames: ['kind', 'phase', 'severity'],
      registers,
    }),
    baselineEvictions: new Counter({
      name: 'signwarden_baseline_evictions_total',
      help: 'Cold SigningBaselines deleted to stay under --max-baselines, least recently seen first.',
      registers,
    }),
    findingsExpired: new Counter({
      name: 'signwarden_findings_expired_total',
      help: 'Resolved DriftFindings deleted after --finding-ttl or to stay under --max-findings.',
      registers,
    }),
    findingsDropped: new Counter({
      name: 'signwarden_findings_dropped_total',
      help: 'DriftFindings not created because --max-findings open or accepted findings already exist.',
      registers,
    }),
    tagListings: new Counter({
      name: 'signwarden_tag_listings_total',
      help: 'Tag listings of guarded repositories by result (Listed, NotFound, or why the registry could not be read).',
      labelNames: ['result'],
      registers,
    }),
    tagListingsTruncated: new Counter({
      name: 'signwarden_tag_listings_truncated_total',
      help: 'Tag listings cut short, by reason: pages (more than the page limit) or cap (more tags than --tag-watch-max-tags).',
      labelNames: ['reason'],
      registers,
    }),
    tagsWatched: new Gauge({
      name: 'signwarden_watched_tags',
      help: 'Tags of guarded repositories whose digest was resolved and judged.',
      registers,
    }),
  };
}
