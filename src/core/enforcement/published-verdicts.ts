// What earlier published parameters admitted, read back: the digests listed as `+` (verified; not
// `+accepted`, which stands only while its finding does), over every namespace's object. Objects
// that do not parse are skipped: they are the operator's own cache, not a record.
import type { EnforcementParametersSpec } from '../../api/enforcement-parameters.ts';
import { enforcementParametersSpecSchema } from '../../api/enforcement-parameters.ts';

/**
 * The verdict the parameters list for `digest` of `repository` (`+`, `+accepted`, `-<finding>`),
 * wherever the layout puts it: by reference in `admitted`, else under the repository.
 */
export const digestVerdict = (
  spec: EnforcementParametersSpec,
  repository: string,
  digest: string,
): string | undefined =>
  spec.admitted?.[`${repository}@${digest}`] ?? spec.repositories[repository]?.digests?.[digest];

export function publishedAdmitted(specs: readonly unknown[]): Map<string, string[]> {
  const admitted = new Map<string, Set<string>>();
  const add = (repository: string, digest: string) =>
    admitted.set(repository, (admitted.get(repository) ?? new Set()).add(digest));
  for (const spec of specs) {
    const parsed = enforcementParametersSpecSchema.safeParse(spec);
    if (!parsed.success) continue;
    for (const [reference, verdict] of Object.entries(parsed.data.admitted ?? {})) {
      // `<repository>@<digest>`: a repository key holds no '@'.
      const at = reference.indexOf('@');
      if (verdict === '+' && at > 0) add(reference.slice(0, at), reference.slice(at + 1));
    }
    // Parameters too large to list admitted digests by reference list them by repository.
    for (const [repository, entry] of Object.entries(parsed.data.repositories))
      for (const [digest, verdict] of Object.entries(entry.digests ?? {}))
        if (verdict === '+') add(repository, digest);
  }
  return new Map([...admitted].map(([repository, digests]) => [repository, [...digests].sort()]));
}
