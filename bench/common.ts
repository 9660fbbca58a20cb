// What every bench shares: where the repository is, settings from the environment, the commit
// measured and the stamp of a results file.
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root directory. */
export const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** A positive integer setting from the environment, or `fallback`. */
export const setting = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
};

/** The commit measured, and whether the working tree had changes. */
export function git(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

/** A date as it appears in results file names: 2026-11-22T01-10-27Z. */
export const fileStamp = (date: Date): string =>
  date
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
