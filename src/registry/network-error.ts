// Translating what a request throws (a system error, node's HTTP parser's, TLS's; the code possibly
// along a cause chain) into a RegistryError: Timeout or Unreachable. Only the code is kept, never a
// URL or header.
import { RegistryError } from './registry-error.ts';

const TIMEOUTS = new Set(['ETIMEDOUT']);
const DESCRIPTIONS: Record<string, string> = {
  ENOTFOUND: 'DNS lookup failed',
  EAI_AGAIN: 'DNS lookup failed',
  EAI_NONAME: 'DNS lookup failed',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** The first `code` along the `cause` chain. */
export function errorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `what` names the request (`GET registry.example/v2/…`), without query string or credentials. */
export function networkError(error: unknown, what: string): RegistryError {
  if (error instanceof RegistryError) return error;
  const code = errorCode(error);
  if (code && TIMEOUTS.has(code)) return new RegistryError('Timeout', `${what}: timed out (${code})`);
  const description = code
    ? (DESCRIPTIONS[code] ??
      (isTls(code) ? 'TLS failure' : code.startsWith('HPE_') ? 'malformed HTTP answer' : 'network error'))
    : 'network error';
  return new RegistryError('Unreachable', `${what}: ${description}${code ? ` (${code})` : ''}`);
}

function isTls(code: string): boolean {
  return (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.includes('CERT') ||
    code.includes('SIGNATURE')
  );
}
