import { describe, expect, it } from 'vitest';
import { TokenCache } from '../../../src/registry/token-cache.ts';

describe('TokenCache', () => {
  it('keeps a token until shortly before it expires', () => {
    let now = 0;
    const cache = new TokenCache({ now: () => now });
    cache.set('k', 't', 60);
    now = 54_999;
    expect(cache.get('k')).toBe('t');
    now = 55_000;
    expect(cache.get('k')).toBeUndefined();
  });

  it('does not keep a token about to lapse, and caps long lifetimes', () => {
    let now = 0;
    const cache = new TokenCache({ now: () => now, maxTtlMs: 1000 });
    cache.set('short', 't', 5);
    expect(cache.get('short')).toBeUndefined();
    cache.set('long', 't', 86_400);
    now = 1000;
    expect(cache.get('long')).toBeUndefined();
  });

  it('drops the oldest entries beyond maxEntries', () => {
    const cache = new TokenCache({ maxEntries: 2 });
    cache.set('a', '1', 300);
    cache.set('b', '2', 300);
    cache.set('c', '3', 300);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, '2', '3']);
  });

  it('deletes only the token refused', () => {
    const cache = new TokenCache();
    cache.set('k', 'new', 300);
    cache.delete('k', 'old');
    expect(cache.get('k')).toBe('new');
    cache.delete('k', 'new');
    expect(cache.get('k')).toBeUndefined();
  });

  it('shares one fetch among concurrent callers, and does not cache a failure', async () => {
    const cache = new TokenCache();
    let fetches = 0;
    const fetchToken = () => {
      fetches++;
      return Promise.resolve({ token: `t${fetches}`, expiresIn: 300 });
    };
    expect(await Promise.all([cache.getOrFetch('k', fetchToken), cache.getOrFetch('k', fetchToken)])).toEqual(
      ['t1', 't1'],
    );
    expect(await cache.getOrFetch('k', fetchToken)).toBe('t1');
    expect(fetches).toBe(1);
    await expect(cache.getOrFetch('x', () => Promise.reject(new Error('denied')))).rejects.toThrow('denied');
    expect(await cache.getOrFetch('x', fetchToken)).toBe('t2');
  });
});
