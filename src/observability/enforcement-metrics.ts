// Metrics of enforcement: whether the admission policy is in place, and what each enforced
// namespace's parameters hold.
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

export interface EnforcementMetrics {
  policyReady: Gauge;
  parameterBytes: Gauge<'namespace'>;
  parameterRecordsDropped: Gauge<'namespace'>;
  parameterWrites: Counter<'result'>;
}

export function createEnforcementMetrics(registry: Registry): EnforcementMetrics {
  const registers = [registry];
  return {
    policyReady: new Gauge({
      name: 'signwarden_enforcement_policy_ready',
      help: '1 when the admission policy and its bindings are in place as generated (applied, or found in parameters mode).',
      registers,
    }),
    parameterBytes: new Gauge({
      name: 'signwarden_enforcement_parameter_bytes',
      help: 'Bytes of data in the enforcement parameters of each enforced namespace.',
      labelNames: ['namespace'],
      registers,
    }),
    parameterRecordsDropped: new Gauge({
      name: 'signwarden_enforcement_parameter_records_dropped',
      help: 'Verdicts left out of a namespace parameters to stay within the size bound (about 1 MiB) (0 when all fit).',
      labelNames: ['namespace'],
      registers,
    }),
    parameterWrites: new Counter({
      name: 'signwarden_enforcement_parameter_writes_total',
      help: 'Writes of enforcement parameters, by result (applied, deleted, error).',
      labelNames: ['result'],
      registers,
    }),
  };
}
