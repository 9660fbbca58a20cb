// Text read from certificates, bundles and payloads is attacker-controlled. It is accepted only when
// it is short, well-formed and free of characters that can disguise what a reader sees (control
// characters, bidi overrides, zero-width characters, line separators), and escaped when shown.

/** The longest identity, issuer or claim value we accept from a certificate or payload. */
export const MAX_UNTRUSTED_LENGTH = 1024;

// Cc: C0 and C1 controls and DEL. Cf: format characters (bidi overrides, zero-width, soft hyphen).
// Zl/Zp: line and paragraph separators.
const DISGUISING = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** Returns `value` if it is acceptable untrusted text, or why not. */
export function checkUntrustedText(
  value: string,
  maxLength = MAX_UNTRUSTED_LENGTH,
): string | { error: string } {
  if (value.length === 0) return { error: 'is empty' };
  if (value.length > maxLength) return { error: `is longer than ${maxLength} characters` };
  if (!value.isWellFormed()) return { error: 'is not well-formed Unicode' };
  if (DISGUISING.test(value)) return { error: 'contains control or invisible formatting characters' };
  return value;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes strict UTF-8 bytes into acceptable untrusted text, or says why it is not. */
export function decodeUntrustedText(
  bytes: Uint8Array,
  maxLength = MAX_UNTRUSTED_LENGTH,
): string | { error: string } {
  // A UTF-8 character is at most 4 bytes: anything longer cannot fit, so do not decode it at all.
  if (bytes.length > maxLength * 4) return { error: `is longer than ${maxLength} characters` };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { error: 'is not valid UTF-8' };
  }
  return checkUntrustedText(text, maxLength);
}

/** Decodes 7-bit ASCII bytes (IA5String) into acceptable untrusted text, or says why it is not. */
export function decodeUntrustedAscii(
  bytes: Uint8Array,
  maxLength = MAX_UNTRUSTED_LENGTH,
): string | { error: string } {
  // Node's 'ascii' decoding silently clears the high bit (0xE1 becomes 'a'): refuse such bytes.
  if (bytes.some((byte) => byte > 0x7f)) return { error: 'contains non-ASCII bytes' };
  return decodeUntrustedText(bytes, maxLength);
}

/** Untrusted text escaped (JSON-style, no quotes) and truncated, safe inside a message or a log line. */
export function escapeUntrusted(value: string, maxLength = 200): string {
  const cut = value.length > maxLength ? `${value.slice(0, maxLength)}…` : value;
  // JSON escaping turns C0 controls into \uXXXX; escape the other disguising characters too.
  return JSON.stringify(cut)
    .slice(1, -1)
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Untrusted text quoted, escaped and truncated. */
export const quoteUntrusted = (value: string, maxLength = 200): string =>
  `"${escapeUntrusted(value, maxLength)}"`;
