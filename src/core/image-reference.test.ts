import { describe, expect, it } from 'vitest';
import vectors from '../../test/vectors/image-references.json' with { type: 'json' };
import { canonicalRepository, parseImageId, parseImageReference } from './image-reference.ts';

interface Vector {
  input: string;
  canonical?: string;
  registry?: string;
  repository?: string;
  tag?: string;
  digest?: string;
  error?: boolean;
  note: string;
}

const all: Vector[] = vectors;
const valid = all.filter((vector) => vector.error !== true);
const invalid = all.filter((vector) => vector.error === true);
const D = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('image reference vectors', () => {
  it('are many, unique and self-consistent', () => {
    expect(all.length).toBeGreaterThanOrEqual(70);
    expect(new Set(all.map((vector) => vector.input)).size).toBe(all.length);
    for (const vector of valid) expect(vector.canonical).toBe(`${vector.registry}/${vector.repository}`);
    for (const vector of invalid) expect(vector).not.toHaveProperty('canonical');
  });

  it.each(valid)('parses $input ($note)', ({ input, canonical, registry, repository, tag, digest }) => {
    expect(parseImageReference(input)).toStrictEqual({
      registry,
      repository,
      ...(tag === undefined ? {} : { tag }),
      ...(digest === undefined ? {} : { digest }),
      canonical,
    });
    expect(canonicalRepository(input)).toBe(canonical);
  });

  it.each(invalid)('rejects $input ($note)', ({ input }) => {
    const parsed = parseImageReference(input);
    expect(parsed).toStrictEqual({ error: expect.stringMatching(/^invalid reference "/) as unknown });
    expect(canonicalRepository(input)).toStrictEqual(parsed);
  });

  it.each(valid)('canonicalizes the key of $input to itself', ({ canonical = '' }) => {
    expect(canonicalRepository(canonical)).toBe(canonical);
  });
});

describe('parseImageReference errors', () => {
  it.each([
    ['Nginx', 'repository path must be lower case'],
    ['nginx@sha256:abc', 'digest sha256 needs 64 hex characters'],
    ['nginx@sha512:abc', 'digest sha512 needs 128 hex characters'],
    [`nginx@sha256:${D.toUpperCase()}`, 'in lower case'],
    ['nginx@md5:abc', 'digest algorithm "md5" is not supported'],
    ['nginx@abc', 'is not algorithm:hex'],
    [':v1', 'has no repository name'],
    ['nginx:-v1', 'tag "-v1" is invalid'],
    ['ghcr.io//api', 'empty component'],
    ['exa_mple.com/app', 'registry host "exa_mple.com" is invalid'],
    ['my..app', 'component "my..app" is invalid'],
    [`ghcr.io/${'a'.repeat(248)}`, 'longer than 255 characters'],
    [D, 'image ID'],
    ['nginx\u0000', 'whitespace or a control character'],
    ['ngïnx', 'non-ASCII'],
    ['a'.repeat(4097), 'longer than 4096 characters'],
  ])('explains %j', (input, reason) => {
    const parsed = parseImageReference(input);
    expect('error' in parsed && parsed.error).toContain(reason);
  });

  it.each([
    'a'.repeat(5000),
    '/'.repeat(4096),
    'a-'.repeat(2048),
    `${'a.'.repeat(2000)}/x`,
    `[${':'.repeat(4000)}]/x`,
    `x@sha256:${'f'.repeat(4000)}`,
    '\u202e\u0000\ud800',
    '💥/app',
  ])('survives hostile input with a short printable message (#%#)', (input) => {
    const parsed = parseImageReference(input);
    expect(parsed).toHaveProperty('error');
    const message = 'error' in parsed ? parsed.error : '';
    expect(message.length).toBeLessThan(400);
    expect(message).toMatch(/^[\x20-\x7e]+$/);
  });

  it('never throws on random printable and control input', () => {
    let seed = 42;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const alphabet = 'aZ09._-/:@[]\u0000 é';
    for (let round = 0; round < 2000; round++) {
      const text = Array.from({ length: next() % 40 }, () => alphabet[next() % alphabet.length]).join('');
      expect(() => parseImageReference(text)).not.toThrow();
    }
  });
});

describe('parseImageId', () => {
  it.each([
    [`docker.io/library/nginx@sha256:${D}`, { repository: 'docker.io/library/nginx', digest: `sha256:${D}` }],
    [`docker-pullable://nginx@sha256:${D}`, { repository: 'docker.io/library/nginx', digest: `sha256:${D}` }],
    [
      `docker-pullable://ghcr.io/acme/api:v1@sha256:${D}`,
      { repository: 'ghcr.io/acme/api', digest: `sha256:${D}` },
    ],
    [`localhost:5000/app@sha256:${D}`, { repository: 'localhost:5000/app', digest: `sha256:${D}` }],
    [`sha256:${D}`, { digest: `sha256:${D}` }],
    [`docker://sha256:${D}`, { digest: `sha256:${D}` }],
  ])('reads %s', (input, expected) => {
    expect(parseImageId(input)).toStrictEqual(expected);
  });

  it.each([
    ['', 'it is empty'],
    ['nginx:latest', 'neither a digest nor a reference with a digest'],
    [`sha256:${D.slice(1)}`, 'neither a digest nor a reference with a digest'],
    ['nginx@sha256:abc', 'digest sha256 needs 64 hex characters'],
    [`docker-pullable://Nginx@sha256:${D}`, 'repository path must be lower case'],
    [`md5:${D}`, 'neither a digest nor a reference with a digest'],
  ])('rejects %j', (input, reason) => {
    const parsed = parseImageId(input);
    expect('error' in parsed && parsed.error).toMatch(/^invalid image ID "/);
    expect('error' in parsed && parsed.error).toContain(reason);
  });
});
