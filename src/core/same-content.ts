// Whether two objects would serialize to the same JSON content: undefined fields are absent in
// what the API server returns, so they must not count as a difference (or every sweep would write).
import { isDeepStrictEqual } from 'node:util';

const normalize = (value: unknown): unknown =>
  value === undefined ? undefined : JSON.parse(JSON.stringify(value));

export const sameContent = (a: unknown, b: unknown): boolean => isDeepStrictEqual(normalize(a), normalize(b));
