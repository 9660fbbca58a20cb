// What earlier published parameters admitted, read back: the digests each repository listed as `+`
// (verified; not `+accepted`, which stands only while its finding does), over every namespace's
// object. Objects that do not parse are skipped: they are the operator's own cache, not a record.
import { enforcementParametersSpecSchema } from '../../api/enforcement-parameters.ts';

export function publishedAdmitted(specs: readonly unknown[]): Map<string, string[]> {
  const admitted = new Map<string, Set<string>>();
  for (const spec of specs) {
    const parsed = enforcementParametersSpecSchema.safeParse(spec);
    if (!parsed.success) continue;
    for (const [repository, entry] of Object.entries(parsed.data.repositories))
      for (const [digest, verdict] of Object.entries(entry.digests ?? {}))
        if (verdict === '+') admitted.set(repository, (admitted.get(repository) ?? new Set()).add(digest));
  }
  return new Map([...admitted].map(([repository, digests]) => [repository, [...digests].sort()]));
}
