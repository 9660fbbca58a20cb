// Go-style durations ("500ms", "15s", "2m", "24h", "1h30m"), as operators write them in flags.
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/** Milliseconds in `text`, or undefined if it is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (text === '' || text.length > 32) return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * UNITS[match[2]!]!;
  }
  return total;
}
