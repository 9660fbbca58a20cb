import { describe, expect, it } from 'vitest';
import { digestOf, isDigest, isVerifiableDigest } from '../../../src/registry/digest.ts';
import { endpointOf } from '../../../src/registry/endpoint.ts';
import {
  isRegistryHost,
  isRepositoryName,
  isTag,
  legacySignatureTag,
  referrersTag,
} from '../../../src/registry/names.ts';

const sha256 = `sha256:${'ab'.repeat(32)}`;

describe('names', () => {
  it.each<[string, boolean]>([
    ['acme/app', true],
    ['a', true],
    ['a/b/c-d.e__f', true],
    ['Acme/app', false],
    ['acme//app', false],
    ['acme/app/', false],
    ['../etc', false],
    ['acme/app?x', false],
    ['a'.repeat(256), false],
  ])('repository %j: %s', (name, ok) => expect(isRepositoryName(name)).toBe(ok));

  it.each<[string, boolean]>([
    ['latest', true],
    ['v1.2.3-rc_1', true],
    [`sha256-${'a'.repeat(64)}.sig`, true],
    ['.hidden', false],
    ['a/b', false],
    ['a'.repeat(129), false],
  ])('tag %j: %s', (tag, ok) => expect(isTag(tag)).toBe(ok));

  it.each<[string, boolean]>([
    ['ghcr.io', true],
    ['127.0.0.1:5000', true],
    ['[::1]:5000', true],
    ['localhost', true],
    ['registry.example:0', false],
    ['registry.example:65536', false],
    ['user@host', false],
    ['host/path', false],
    ['-bad.example', false],
  ])('registry %j: %s', (host, ok) => expect(isRegistryHost(host)).toBe(ok));

  it('derives the referrers tag and the legacy signature tag', () => {
    expect(referrersTag(sha256)).toBe(`sha256-${'ab'.repeat(32)}`);
    expect(referrersTag(`sha512:${'c'.repeat(128)}`)).toBe(`sha512-${'c'.repeat(64)}`);
    expect(legacySignatureTag(sha256)).toBe(`sha256-${'ab'.repeat(32)}.sig`);
  });
});

describe('digests', () => {
  it.each<[string, boolean, boolean]>([
    [sha256, true, true],
    [`sha512:${'0'.repeat(128)}`, true, true],
    ['sha256:abc', true, false],
    [`sha256:${'AB'.repeat(32)}`, true, false],
    [`blake3:${'a'.repeat(64)}`, true, false],
    ['sha256', false, false],
    [':abc', false, false],
  ])('%j: well-formed %s, verifiable %s', (digest, wellFormed, verifiable) => {
    expect(isDigest(digest)).toBe(wellFormed);
    expect(isVerifiableDigest(digest)).toBe(verifiable);
  });

  it('hashes with the algorithm of the digest compared with', () => {
    const content = Buffer.from('{}');
    expect(digestOf(content)).toBe('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    expect(digestOf(content, `sha512:${'0'.repeat(128)}`)).toMatch(/^sha512:[0-9a-f]{128}$/);
    expect(() => digestOf(content, 'md5:x')).toThrow(RangeError);
  });
});

describe('endpointOf', () => {
  const insecure = new Set(['127.0.0.1:5000']);
  it.each([
    [
      { registry: 'docker.io', repository: 'nginx' },
      { registry: 'docker.io', origin: 'https://registry-1.docker.io', repository: 'library/nginx' },
    ],
    [
      { registry: 'index.docker.io', repository: 'acme/app' },
      { registry: 'docker.io', origin: 'https://registry-1.docker.io', repository: 'acme/app' },
    ],
    [
      { registry: 'GHCR.io', repository: 'acme/app' },
      { registry: 'ghcr.io', origin: 'https://ghcr.io', repository: 'acme/app' },
    ],
    [
      { registry: '127.0.0.1:5000', repository: 'app' },
      { registry: '127.0.0.1:5000', origin: 'http://127.0.0.1:5000', repository: 'app' },
    ],
    [
      { registry: '127.0.0.1:5001', repository: 'app' },
      { registry: '127.0.0.1:5001', origin: 'https://127.0.0.1:5001', repository: 'app' },
    ],
  ])('%j', (ref, expected) => {
    expect(endpointOf(ref, insecure)).toEqual(expected);
  });

  it.each([
    { registry: 'evil.example/x', repository: 'app' },
    { registry: 'ghcr.io', repository: '../app' },
    { registry: 'ghcr.io', repository: 'app?x=1' },
  ])('refuses %j', (ref) => {
    expect(() => endpointOf(ref, insecure)).toThrow(RangeError);
  });
});
