// The `Link: <url>; rel="next"` header of paginated tag lists and referrers (RFC 8288).

/** The target of the first `rel="next"` link, resolved against `base`; undefined when there is none. */
export function nextLink(header: string | null, base: URL): URL | undefined {
  if (!header) return undefined;
  for (const link of header.slice(0, 16 * 1024).matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const [, target = '', params = ''] = link;
    const rels = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const rel = rels?.[1] ?? rels?.[2] ?? '';
    if (!rel.toLowerCase().split(/\s+/).includes('next')) continue;
    try {
      return new URL(target, base);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
