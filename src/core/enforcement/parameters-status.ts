// The status of a namespace's EnforcementParameters: whether admission can decide by them. Pure:
// conditions keep their transition time while their status holds, so an unchanged state writes
// nothing.
import type {
  EnforcementParametersSpec,
  EnforcementParametersStatus,
} from '../../api/enforcement-parameters.ts';
import { setCondition } from '../conditions.ts';

export interface PolicyState {
  ready: boolean;
  reason: string;
  message: string;
}

export function parametersStatus(
  current: EnforcementParametersStatus | undefined,
  spec: EnforcementParametersSpec,
  policy: PolicyState | undefined,
  now: Date,
): EnforcementParametersStatus {
  const { repositories, digests, tags } = spec.counts;
  const listed = `${repositories} repositories, ${digests} digests, ${tags} tags listed`;
  const complete =
    spec.dropped === 0
      ? { status: 'True' as const, reason: 'AllVerdictsFit', message: listed }
      : spec.overflow
        ? {
            status: 'False' as const,
            reason: 'Overflow',
            message: `${listed}; ${spec.dropped} verdicts did not fit: every repository counts as guarded, and a digest not listed is denied`,
          }
        : {
            status: 'False' as const,
            reason: 'Truncated',
            message: `${listed}; ${spec.dropped} verdicts for workload templates did not fit: templates get less early feedback, Pods are still checked`,
          };
  const policyReady = policy
    ? {
        status: policy.ready ? ('True' as const) : ('False' as const),
        reason: policy.reason,
        message: policy.message,
      }
    : {
        status: 'Unknown' as const,
        reason: 'NotChecked',
        message: 'the operator has not looked at the policy yet',
      };
  const withComplete = setCondition(current?.conditions, { type: 'Complete', ...complete }, now);
  return { conditions: setCondition(withComplete, { type: 'PolicyReady', ...policyReady }, now) };
}
