// The verdicts enforcement publishes, per repository, as the continuity controller last planned
// them (one decision function for findings and admission). In memory: after a restart they are
// rebuilt from the inventory (and the admitted digests retained from what was published), and the
// parameters are not rewritten until they have been (ready()).
import { isDeepStrictEqual } from 'node:util';
import { nextRepositoryVerdicts } from '../core/enforcement/repository-verdicts.ts';
import type { RepositoryVerdicts, VerdictInput } from '../core/enforcement/repository-verdicts.ts';

/** Changes come in bursts (a start plans every repository): listeners hear of a burst once. */
const SETTLE_MS = 200;

/** Compared without the admission times, which move on every plan. */
const published = (v: RepositoryVerdicts | undefined) => v && { ...v, admittedAt: undefined };

export class EnforcementVerdicts {
  private readonly byRepository = new Map<string, RepositoryVerdicts>();
  /** Repositories whose latest plan saw the complete inventory, and nothing changed since. */
  private readonly complete = new Set<string>();
  private readonly listeners: (() => void)[] = [];
  /** Admission times from the published parameters, until the repository's first plan. */
  private readonly seeded = new Map<string, Record<string, number>>();
  private changes = 0;
  private settle: NodeJS.Timeout | undefined;

  /**
   * Digests admitted in what was published before this process started (the parameters in the
   * cluster), by repository: kept admitted as if admitted now, so that a restart does not forget a
   * verified digest nothing uses at the moment (a rollback, a re-run Job).
   */
  seed(admitted: ReadonlyMap<string, readonly string[]>, now: number): void {
    for (const [repository, digests] of admitted)
      if (!this.byRepository.has(repository))
        this.seeded.set(repository, Object.fromEntries(digests.map((d) => [d, now])));
  }

  /** Takes the verdicts of one plan; `complete`: the plan saw the complete inventory. */
  update(input: VerdictInput, complete: boolean): void {
    if (complete) this.complete.add(input.repository);
    else this.complete.delete(input.repository);
    const seeded = this.seeded.get(input.repository);
    this.seeded.delete(input.repository);
    const previous =
      this.byRepository.get(input.repository) ??
      (seeded && { ...input, guarded: false, digests: [], admittedAt: seeded });
    const next = nextRepositoryVerdicts(previous, input);
    if (next) this.byRepository.set(input.repository, next);
    else this.byRepository.delete(input.repository);
    if (isDeepStrictEqual(published(previous), published(next))) return;
    this.changes++;
    this.settle ??= setTimeout(() => {
      this.settle = undefined;
      for (const listener of this.listeners) listener();
    }, SETTLE_MS).unref();
  }

  /** The repository's use changed: its verdicts wait for the next plan. */
  invalidate(repository: string): void {
    this.complete.delete(repository);
  }

  /** Calls `listener` once what would be published has changed (once per burst of changes). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Increases with every change: a cheap key for what was generated from the verdicts. */
  get version(): number {
    return this.changes;
  }

  /** Whether every one of `repositories` has been planned from the complete inventory. */
  plannedComplete(repositories: Iterable<string>): boolean {
    for (const repository of repositories) if (!this.complete.has(repository)) return false;
    return true;
  }

  repositories(): RepositoryVerdicts[] {
    return [...this.byRepository.values()];
  }

  /** Repositories admission checks every image of: established baselines and pins. */
  guarded(): string[] {
    return this.repositories()
      .filter((r) => r.guarded !== false)
      .map((r) => r.repository);
  }
}
