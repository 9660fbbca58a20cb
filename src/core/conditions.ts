// Condition bookkeeping per the Kubernetes API conventions: lastTransitionTime moves only when the
// status changes, so re-computing an unchanged condition yields an identical object (and no write).
import type { Condition } from '../api/conditions.ts';

export function setCondition(
  current: readonly Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): Condition[] {
  const previous = current?.find((c) => c.type === next.type);
  const lastTransitionTime =
    previous && previous.status === next.status
      ? previous.lastTransitionTime
      : now.toISOString().replace(/\.\d+Z$/, 'Z');
  return [...(current ?? []).filter((c) => c.type !== next.type), { ...next, lastTransitionTime }].sort(
    (a, b) => a.type.localeCompare(b.type),
  );
}
