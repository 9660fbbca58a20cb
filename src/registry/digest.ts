// Content digests (`<algorithm>:<encoded>`): their grammar, and hashing content to compare with one.
import { createHash } from 'node:crypto';

/** The OCI image-spec digest grammar. Any registered or unregistered algorithm is well-formed. */
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** The algorithms the client can verify, with the length of their hex encoding. */
const VERIFIABLE: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha512', 128],
]);

export function isDigest(value: string): boolean {
  return value.length <= 256 && DIGEST.test(value);
}

/** True when the digest's algorithm is one the client can verify and its encoding has that algorithm's form. */
export function isVerifiableDigest(value: string): boolean {
  const [algorithm = '', encoded = ''] = value.split(':', 2);
  const length = VERIFIABLE.get(algorithm);
  return length !== undefined && encoded.length === length && /^[a-f0-9]+$/.test(encoded);
}

/** `sha256:<hex>` of `content`, or with the algorithm of `like` (a verifiable digest). */
export function digestOf(content: Uint8Array, like?: string): string {
  const algorithm = like?.split(':', 1)[0] ?? 'sha256';
  if (!VERIFIABLE.has(algorithm))
    throw new RangeError(`unsupported digest algorithm ${algorithm.slice(0, 32)}`);
  return `${algorithm}:${createHash(algorithm).update(content).digest('hex')}`;
}
