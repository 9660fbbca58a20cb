// The one error the registry client throws for anything the registry did or failed to do. Its kind
// is what callers decide on: a CheckingReason (transient, DESIGN.md §3) or one of three answers
// that are not transient. Messages are short and never carry credentials, tokens or query strings.
import type { CheckingReason } from '../core/observation.ts';

export type RegistryErrorKind =
  | CheckingReason
  /** The manifest, tag, blob or repository does not exist (HTTP 404). */
  | 'NotFound'
  /** Content does not hash to the digest (or size) it was asked for or announced with. */
  | 'DigestMismatch'
  /** Malformed JSON, a body that does not match its schema, an unexpected content type. */
  | 'BadResponse';

const CHECKING_REASONS: ReadonlySet<RegistryErrorKind> = new Set<CheckingReason>([
  'Timeout',
  'AuthFailed',
  'RateLimited',
  'Unreachable',
  'TooLarge',
  'RegistryError',
]);

export class RegistryError extends Error {
  readonly kind: RegistryErrorKind;
  /** The HTTP status that decided the error, when there was one. */
  readonly status: number | undefined;

  constructor(kind: RegistryErrorKind, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryError';
    this.kind = kind;
    this.status = options.status;
  }
}

/** The CheckingReason of an error of the registry client, if its kind is one. */
export function checkingReasonOf(error: unknown): CheckingReason | undefined {
  return error instanceof RegistryError && CHECKING_REASONS.has(error.kind)
    ? (error.kind as CheckingReason)
    : undefined;
}
