// What the one-shot commands read from files named on their command line: a trusted root (the
// embedded public-good one when none is named), public keys and registry credentials. Every file
// is size-bounded before it is read; every problem is a UsageError, one line, naming the flag.
import { readFile, stat } from 'node:fs/promises';
import type { CredentialProvider } from '../registry/credentials.ts';
import { dockerConfigCredentials } from '../registry/credentials.ts';
import { MAX_PEM_LENGTH, parsePublicKey } from '../sigstore/public-key.ts';
import type { TrustedKey } from '../sigstore/public-key.ts';
import { MAX_TRUSTED_ROOT_BYTES, parseTrustedRoot, publicGoodTrustRoot } from '../sigstore/trusted-root.ts';
import type { TrustRoot } from '../sigstore/trusted-root.ts';

/** Where a command writes. */
export interface CommandIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** A problem with the command line or a file it names: exit code 2, one line. */
export class UsageError extends Error {}

/** A docker config (credentials) larger than this is refused. */
export const MAX_DOCKER_CONFIG_BYTES = 1024 * 1024;

/** The bytes of a regular file of at most `maxBytes`, or a UsageError naming `what` and the path. */
export async function readBounded(path: string, maxBytes: number, what: string): Promise<Buffer> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`${what} ${path} is not a file`);
    if (info.size > maxBytes) throw new UsageError(`${what} ${path} is larger than ${maxBytes} bytes`);
    return await readFile(path);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** The trusted root in `path`, or the embedded public-good root when no path is given. */
export async function loadTrustRoot(path: string | undefined): Promise<TrustRoot> {
  if (path === undefined) return publicGoodTrustRoot();
  const parsed = parseTrustedRoot(
    (await readBounded(path, MAX_TRUSTED_ROOT_BYTES, 'trusted root')).toString('utf8'),
    path,
  );
  if ('error' in parsed) throw new UsageError(parsed.error);
  return parsed;
}

/** The PEM public keys in `paths` (`--key`, repeatable). */
export async function loadKeys(paths: readonly string[]): Promise<TrustedKey[]> {
  const keys: TrustedKey[] = [];
  for (const path of paths) {
    const parsed = parsePublicKey((await readBounded(path, MAX_PEM_LENGTH, 'key')).toString('utf8'));
    if ('error' in parsed) throw new UsageError(`--key ${path}: ${parsed.error}`);
    keys.push(parsed);
  }
  return keys;
}

/** Registry credentials from a dockerconfigjson file (`~/.docker/config.json`, a pull secret's data). */
export async function loadDockerConfig(path: string): Promise<CredentialProvider> {
  const contents = await readBounded(path, MAX_DOCKER_CONFIG_BYTES, 'docker config');
  try {
    return dockerConfigCredentials(contents);
  } catch (error) {
    // The parser's messages name no credential value.
    throw new UsageError(`--docker-config ${path}: ${(error as Error).message}`);
  }
}
