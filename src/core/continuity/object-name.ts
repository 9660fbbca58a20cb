// Deterministic object names: a readable prefix from the key plus a short hash of the whole key,
// so every replica, every restart and every retry names the same object (no duplicates), and two
// keys that slug alike still get distinct names.
import { createHash } from 'node:crypto';

const MAX_PREFIX = 40;

/** `label` is what the readable prefix is made from (the key itself by default). */
export function objectName(key: string, label = key): string {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 10);
  const slug = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(-MAX_PREFIX)
    .replace(/^-+/, '');
  return slug ? `${slug}-${hash}` : hash;
}
