// Which of a repository's listed tags the tag watcher follows. Signature and attestation tags are
// not images and never followed. Beyond the cap, the choice must not depend on listing order (pages
// come lexically ordered, so the first page is no guide to what is new): `latest`, then the other
// tags in descending natural order, in which releases (`v1.10.0` before `v1.9.0`) are the newest.

/** Tags cosign and the OCI referrers tag schema derive from a digest: `sha256-<hex>[.sig|.att|.sbom]`. */
const ARTIFACT_TAG = /^sha(?:256|384|512)-[0-9a-f]{64,128}(?:\.(?:sig|att|sbom))?$/;

export function isArtifactTag(tag: string): boolean {
  return ARTIFACT_TAG.test(tag);
}

export interface TagSelection {
  /** The tags to follow, in selection order. */
  tags: string[];
  /** Image tags left out by the cap. */
  skipped: number;
}

/** At most `max` of `listed`: image tags only, no duplicates, `latest` first, then newest first. */
export function selectTags(listed: Iterable<string>, max: number): TagSelection {
  const candidates = [...new Set(listed)].filter((tag) => !isArtifactTag(tag)).sort(newestFirst);
  return { tags: candidates.slice(0, max), skipped: Math.max(0, candidates.length - max) };
}

function newestFirst(a: string, b: string): number {
  if (a === 'latest' || b === 'latest') return a === 'latest' ? (b === 'latest' ? 0 : -1) : 1;
  return -naturalCompare(a, b);
}

/** Runs of digits compare as numbers, everything else by code point; ties by code point, so the order is total. */
export function naturalCompare(a: string, b: string): number {
  const left = a.match(/\d+|\D+/g) ?? [];
  const right = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i] ?? '';
    const y = right[i] ?? '';
    const order = isDigits(x) && isDigits(y) ? compareNumbers(x, y) : compareCodePoints(x, y);
    if (order !== 0) return order;
  }
  return left.length - right.length || compareCodePoints(a, b);
}

const isDigits = (s: string): boolean => s.charCodeAt(0) >= 48 && s.charCodeAt(0) <= 57;

/** Digit strings of any length: without leading zeros, the longer is larger. */
function compareNumbers(x: string, y: string): number {
  const a = x.replace(/^0+(?=\d)/, '');
  const b = y.replace(/^0+(?=\d)/, '');
  return a.length - b.length || compareCodePoints(a, b);
}

const compareCodePoints = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
