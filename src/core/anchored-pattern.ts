// Identity patterns are always anchored at both ends: a pin's `subjectRegExp` of
// `https://github.com/acme/.*` must not match `https://github.com/acme-evil/...@evil.example`.
export const MAX_PATTERN_LENGTH = 1024;

/** Compiles `pattern` anchored at both ends, or returns why it cannot be used. */
export function compileAnchored(pattern: string): RegExp | { error: string } {
  if (pattern.length > MAX_PATTERN_LENGTH) return { error: `longer than ${MAX_PATTERN_LENGTH} characters` };
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (error) {
    return { error: (error as Error).message };
  }
}
