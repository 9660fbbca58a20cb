// Reading errors from client-node: ApiException carries the HTTP code and a JSON Status body as a string.
import { ApiException } from '@kubernetes/client-node';

export function statusCode(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** A one-line description: the API server's Status message where there is one. */
export function describeError(error: unknown): string {
  if (error instanceof ApiException) {
    try {
      const status = JSON.parse(String(error.body)) as { message?: unknown };
      if (typeof status.message === 'string') return `${status.message} (HTTP ${error.code})`;
    } catch {
      // not JSON: fall through to the generic message
    }
    return `HTTP ${error.code}`;
  }
  return error instanceof Error ? error.message : String(error);
}
