// Parsing WWW-Authenticate (RFC 9110 §11.6.1): one or more challenges, each a scheme and either
// auth-params (`realm="…", service=…`) or a token68. Registries answer `Basic realm=…` or
// `Bearer realm=…,service=…,scope=…`.
export interface Challenge {
  /** Lowercased: `basic`, `bearer`, … */
  scheme: string;
  /** Parameter names lowercased; values unquoted. */
  params: ReadonlyMap<string, string>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
const TOKEN68 = /[A-Za-z0-9._~+/-]+=*/y;

/** Every challenge in the header, in order; malformed trailing text ends the list. */
export function parseChallenges(header: string | null): Challenge[] {
  if (!header) return [];
  const text = header.slice(0, 16 * 1024);
  let at = 0;
  const skip = (pattern: RegExp): void => {
    pattern.lastIndex = at;
    if (pattern.test(text)) at = pattern.lastIndex;
  };
  const match = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = at;
    const found = pattern.exec(text);
    if (!found) return undefined;
    at = pattern.lastIndex;
    return found[0];
  };
  const quoted = (): string | undefined => {
    if (text[at] !== '"') return undefined;
    let value = '';
    for (let i = at + 1; i < text.length; i++) {
      const c = text[i];
      if (c === '\\' && i + 1 < text.length) value += text[++i];
      else if (c === '"') {
        at = i + 1;
        return value;
      } else value += c;
    }
    return undefined;
  };
  const spaces = /[ \t]*/y;
  const separators = /[ \t,]*/y;

  const challenges: Challenge[] = [];
  skip(separators);
  while (at < text.length) {
    const scheme = match(TOKEN);
    if (!scheme) break;
    const params = new Map<string, string>();
    challenges.push({ scheme: scheme.toLowerCase(), params });
    skip(spaces);
    // auth-params: name = value, comma separated; a token not followed by '=' starts the next challenge.
    for (;;) {
      skip(separators);
      const start = at;
      const name = match(TOKEN);
      if (!name) break;
      skip(spaces);
      if (text[at] !== '=') {
        at = start;
        break;
      }
      at++;
      skip(spaces);
      const value = quoted() ?? match(TOKEN);
      if (value === undefined) {
        // Not a parameter: perhaps a token68 (`Negotiate abc==`); skip it.
        at = start;
        if (!match(TOKEN68)) return challenges;
        continue;
      }
      params.set(name.toLowerCase(), value);
    }
  }
  return challenges;
}
