// Which SignaturePin guards a repository: pins select canonical repository keys by glob (`*` within
// one path segment, `**` across segments), and when several match, the most specific one wins —
// fewest `**`, then fewest `*`, then the longest literal text, then the pin name, so the choice
// never depends on the order the API server lists pins in.

export interface RepositoryPin {
  name: string;
  repositories: readonly string[];
}

const compiled = new Map<string, RegExp>();

function globPattern(glob: string): RegExp {
  let pattern = compiled.get(glob);
  if (!pattern) {
    const source = glob
      .split('**')
      .map((part) =>
        part
          .split('*')
          .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]*'),
      )
      .join('.*');
    pattern = new RegExp(`^${source}$`);
    if (compiled.size > 4096) compiled.clear();
    compiled.set(glob, pattern);
  }
  return pattern;
}

/** Whether `glob` selects the canonical repository key `repository`. */
export const globMatches = (glob: string, repository: string): boolean =>
  globPattern(glob.toLowerCase()).test(repository);

/** Lower sorts first: [`**` count, `*` count, minus literal length]. */
function specificity(glob: string): [number, number, number] {
  const doubles = glob.split('**').length - 1;
  const singles = glob.split('*').length - 1 - 2 * doubles;
  return [doubles, singles, -glob.replaceAll('*', '').length];
}

function compare(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** The pin in force for `repository`, with the glob that selected it, or undefined. */
export function mostSpecificPin<P extends RepositoryPin>(
  pins: readonly P[],
  repository: string,
): { pin: P; glob: string } | undefined {
  let best: { pin: P; glob: string; rank: [number, number, number] } | undefined;
  for (const pin of pins) {
    for (const glob of pin.repositories) {
      if (!globMatches(glob, repository)) continue;
      const rank = specificity(glob);
      const order = best ? compare(rank, best.rank) || pin.name.localeCompare(best.pin.name) : -1;
      if (order < 0) best = { pin, glob, rank };
    }
  }
  return best && { pin: best.pin, glob: best.glob };
}
