// The parts of an image reference the client puts into URLs, checked before they get there, and the
// tag names derived from a digest (DESIGN.md §3: referrers tag schema, legacy cosign tag).
import { isDigest } from './digest.ts';

/** distribution's repository-name grammar: lowercase path components. */
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** host[:port], with the host a DNS name, an IPv4 address or a bracketed IPv6 address. */
const REGISTRY =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;

export function isRepositoryName(value: string): boolean {
  return value.length <= 255 && REPOSITORY.test(value);
}

export function isTag(value: string): boolean {
  return TAG.test(value);
}

export function isRegistryHost(value: string): boolean {
  if (value.length > 255 || !REGISTRY.test(value)) return false;
  const port = /:([0-9]{1,5})$/.exec(value)?.[1];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}

/** Throws RangeError unless `value` is a tag or a digest: the client never puts other text into a URL. */
export function checkReference(value: string): void {
  if (!isTag(value) && !isDigest(value))
    throw new RangeError(`not a tag or digest: ${JSON.stringify(value.slice(0, 80))}`);
}

/** The OCI referrers tag schema: `<alg>-<encoded>`, the algorithm cut to 32 and the encoding to 64 characters. */
export function referrersTag(digest: string): string {
  const [algorithm = '', encoded = ''] = digest.split(':', 2);
  return `${algorithm.slice(0, 32)}-${encoded.slice(0, 64)}`;
}

/** cosign's legacy signature tag of a digest: `sha256-<hex>.sig`. */
export function legacySignatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}
