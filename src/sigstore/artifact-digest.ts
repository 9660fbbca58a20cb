// The digest of the artifact being judged (an image manifest, a blob, a node measurement such as a
// TDX MRTD, which is sha384).
import { createHash } from 'node:crypto';

export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

export interface ArtifactDigest {
  algorithm: DigestAlgorithm;
  /** Lower-case hex. */
  hex: string;
}

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha384: 96, sha512: 128 };

const isAlgorithm = (value: string): value is DigestAlgorithm => Object.hasOwn(HEX_LENGTH, value);

/** Parses `sha256:<64 hex>`, `sha384:<96 hex>` or `sha512:<128 hex>`. */
export function parseDigest(text: string): ArtifactDigest | { error: string } {
  const match = /^([a-z0-9]+):([0-9a-fA-F]+)$/.exec(text);
  if (!match) return { error: 'expected ALGORITHM:HEX, e.g. sha256:<64 hex digits>' };
  const [, algorithm = '', hex = ''] = match;
  if (!isAlgorithm(algorithm)) return { error: `unsupported digest algorithm ${JSON.stringify(algorithm)}` };
  if (hex.length !== HEX_LENGTH[algorithm])
    return { error: `a ${algorithm} digest has ${HEX_LENGTH[algorithm]} hex digits, got ${hex.length}` };
  return { algorithm, hex: hex.toLowerCase() };
}

export const formatDigest = (digest: ArtifactDigest): string => `${digest.algorithm}:${digest.hex}`;

export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm): ArtifactDigest {
  return { algorithm, hex: createHash(algorithm).update(bytes).digest('hex') };
}

export const sameDigest = (a: ArtifactDigest, b: ArtifactDigest): boolean =>
  a.algorithm === b.algorithm && a.hex === b.hex;
