// Whether an object already holds everything a desired object sets: the API server adds defaults
// (matchPolicy, empty selectors, ...), so comparing whole objects would rewrite them on every pass.
export function coveredBy(desired: unknown, actual: unknown): boolean {
  if (Array.isArray(desired))
    return (
      Array.isArray(actual) &&
      desired.length === actual.length &&
      desired.every((item, i) => coveredBy(item, actual[i]))
    );
  if (desired !== null && typeof desired === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(desired).every(
      ([key, value]) => value === undefined || coveredBy(value, (actual as Record<string, unknown>)[key]),
    );
  }
  return desired === actual;
}
