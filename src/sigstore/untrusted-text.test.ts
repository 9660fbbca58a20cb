import { describe, expect, it } from 'vitest';
import {
  checkUntrustedText,
  decodeUntrustedAscii,
  decodeUntrustedText,
  escapeUntrusted,
  quoteUntrusted,
} from './untrusted-text.ts';

describe('checkUntrustedText', () => {
  it.each<[string, string, boolean]>([
    ['a workflow identity', 'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1', true],
    ['an email address', 'dev@acme.example', true],
    ['non-ASCII letters', 'Zoë Ångström', true],
    ['a workflow name with spaces and punctuation', 'Build / Attest / Verify (Shared)', true],
    ['empty', '', false],
    ['1024 characters', 'a'.repeat(1024), true],
    ['1025 characters', 'a'.repeat(1025), false],
    ['newline', 'a\nb', false],
    ['tab', 'a\tb', false],
    ['NUL', 'a\u0000b', false],
    ['escape', '\u001b[31m', false],
    ['DEL', 'a\u007f', false],
    ['C1 control', 'a\u009b', false],
    ['right-to-left override', 'a\u202eb', false],
    ['isolate', 'a\u2066b', false],
    ['zero-width joiner', 'a\u200db', false],
    ['byte-order mark', '\ufeffa', false],
    ['line separator', 'a\u2028b', false],
    ['lone surrogate', 'a\udc00', false],
  ])('%s', (_name, value, ok) => {
    expect(typeof checkUntrustedText(value) === 'string').toBe(ok);
  });
});

describe('decoding', () => {
  it('decodes strict UTF-8 only', () => {
    expect(decodeUntrustedText(Buffer.from('Zoë'))).toBe('Zoë');
    expect(decodeUntrustedText(Buffer.from([0x61, 0xff]))).toHaveProperty('error');
    expect(decodeUntrustedText(Buffer.from([0xed, 0xa0, 0x80]))).toHaveProperty('error'); // encoded surrogate
  });

  it('refuses high-bit bytes as ASCII instead of clearing the bit', () => {
    // Buffer#toString('ascii') would read 0xE1 as 'a'.
    expect(Buffer.from([0xe1]).toString('ascii')).toBe('a');
    expect(decodeUntrustedAscii(Buffer.from([0x68, 0xe1]))).toHaveProperty('error');
    expect(decodeUntrustedAscii(Buffer.from('https://x'))).toBe('https://x');
  });

  it('refuses what cannot fit before decoding it', () => {
    expect(decodeUntrustedText(Buffer.alloc(4097, 0x61))).toHaveProperty('error');
  });
});

describe('escaping for display', () => {
  it.each([
    ['plain', 'plain'],
    ['new\nline', 'new\\nline'],
    ['\u001b[2J', '\\u001b[2J'],
    ['a\u202eb', 'a\\u202eb'],
    ['a\u0085b', 'a\\u0085b'],
    ['quote " and backslash \\', 'quote \\" and backslash \\\\'],
  ])('%j', (value, escaped) => {
    expect(escapeUntrusted(value)).toBe(escaped);
    expect(quoteUntrusted(value)).toBe(`"${escaped}"`);
  });

  it('truncates', () => {
    expect(escapeUntrusted('a'.repeat(300), 10)).toBe(`${'a'.repeat(10)}…`);
  });
});
