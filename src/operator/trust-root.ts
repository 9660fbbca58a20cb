// The Sigstore trust material the operator verifies with: a mounted trusted_root.json when
// configured (a private Sigstore, an air-gapped mirror), otherwise the embedded public-good root.
import { readFileSync } from 'node:fs';
import { SettingError } from '../config/settings.ts';
import { MAX_TRUSTED_ROOT_BYTES, parseTrustedRoot, publicGoodTrustRoot } from '../sigstore/trusted-root.ts';
import type { TrustRoot } from '../sigstore/trusted-root.ts';

export function loadTrustRoot(path: string | undefined): TrustRoot {
  if (path === undefined) return publicGoodTrustRoot();
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_TRUSTED_ROOT_BYTES) throw new Error(`larger than ${MAX_TRUSTED_ROOT_BYTES} bytes`);
    text = bytes.toString('utf8');
  } catch (error) {
    throw new SettingError(
      `invalid --trusted-root (SIGNWARDEN_TRUSTED_ROOT): cannot read ${path}: ${(error as Error).message}`,
    );
  }
  const parsed = parseTrustedRoot(text, path);
  if ('error' in parsed)
    throw new SettingError(`invalid --trusted-root (SIGNWARDEN_TRUSTED_ROOT): ${parsed.error}`);
  return parsed;
}
