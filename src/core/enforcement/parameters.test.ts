import { describe, expect, it } from 'vitest';
import type { Finding } from '../continuity/decide.ts';
import {
  dataKey,
  generateParameters,
  MAX_DATA_BYTES,
  MAX_KEY_LENGTH,
  OVERFLOW_KEY,
  verdictOf,
} from './parameters.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const finding = { kind: 'Unsigned' } as Finding;

describe('dataKey', () => {
  it.each([
    ['R', 'docker.io/library/nginx', 'R.docker.ioSlibrarySnginx'],
    ['R', '[::1]:5000/app', 'R.LCC1RC5000Sapp'],
    ['D', `${digest('a')}@ghcr.io/acme/api`, `D.sha256C${'a'.repeat(64)}Aghcr.ioSacmeSapi`],
    ['T', 'localhost:5000/app:v1.2', 'T.localhostC5000SappCv1.2'],
  ] as const)('%s %s → %s', (kind, text, key) => {
    expect(dataKey(kind, text)).toBe(key);
    expect(key).toMatch(/^[-._a-zA-Z0-9]+$/);
  });

  it('cuts long keys at the ConfigMap bound', () => {
    const key = dataKey('R', `ghcr.io/${'a'.repeat(247)}`);
    expect(key).toHaveLength(MAX_KEY_LENGTH);
    expect(key).toMatch(/^[-._a-zA-Z0-9]+$/);
  });
});

describe('verdictOf (from the continuity decision)', () => {
  it.each([
    ['verified', { admit: true }, { kind: 'admitted' }],
    ['accepted finding', { admit: true, finding }, { kind: 'accepted' }],
    ['finding, denied', { admit: false, finding }, { kind: 'violates', findingName: 'f' }],
    ['Checking, never verified', { admit: false }, undefined],
  ] as const)('%s', (_, decision, verdict) => {
    expect(verdictOf({ digest: digest('a'), decision, findingName: 'f' })).toEqual(verdict);
  });
});

describe('generateParameters', () => {
  const repo = {
    repository: 'ghcr.io/acme/api',
    source: 'signingbaseline/api-123',
    expected: ['release.yml (issuer)', 'key sha256:ab\nforged line'],
    digests: [
      { digest: digest('1'), decision: { admit: true } },
      { digest: digest('2'), decision: { admit: false, finding }, findingName: 'api-unsigned-1' },
      { digest: digest('3'), decision: { admit: true, finding } },
      { digest: digest('4'), decision: { admit: false } },
    ],
    tags: [
      { tag: 'v1', digest: digest('1') },
      { tag: 'bad', digest: digest('2') },
      { tag: 'new', digest: digest('4') },
    ],
  };

  it('writes one record per verdict under its key, sanitized', () => {
    const { configMap, dropped, overflow } = generateParameters({
      namespace: 'payments',
      repositories: [repo],
    });
    expect(configMap.metadata).toMatchObject({ name: 'signwarden-enforcement', namespace: 'payments' });
    expect(dropped).toBe(0);
    expect(overflow).toBe(false);
    expect(configMap.data).toEqual({
      [dataKey('D', `${digest('1')}@ghcr.io/acme/api`)]: `\n${digest('1')}@ghcr.io/acme/api +\n`,
      [dataKey('D', `${digest('2')}@ghcr.io/acme/api`)]:
        `\n${digest('2')}@ghcr.io/acme/api -api-unsigned-1\n`,
      [dataKey('D', `${digest('3')}@ghcr.io/acme/api`)]: `\n${digest('3')}@ghcr.io/acme/api +accepted\n`,
      'R.ghcr.ioSacmeSapi':
        '\nghcr.io/acme/api signingbaseline/api-123 release.yml (issuer), key sha256:ab?forged line\n',
      'T.ghcr.ioSacmeSapiCbad': '\nghcr.io/acme/api:bad -api-unsigned-1\n',
      'T.ghcr.ioSacmeSapiCv1': '\nghcr.io/acme/api:v1 +\n',
    });
    for (const key of Object.keys(configMap.data)) expect(key).toMatch(/^[-._a-zA-Z0-9]{1,253}$/);
  });

  it('publishes only the violating digests of an unguarded repository, and no repository record', () => {
    const { configMap } = generateParameters({
      namespace: 'payments',
      repositories: [{ ...repo, guarded: false }],
    });
    expect(configMap.data).toEqual({
      [dataKey('D', `${digest('2')}@ghcr.io/acme/api`)]:
        `\n${digest('2')}@ghcr.io/acme/api -api-unsigned-1\n`,
    });
  });

  it('is deterministic whatever the input order', () => {
    const other = { ...repo, repository: 'docker.io/library/nginx', source: 'signaturepin/nginx' };
    const a = generateParameters({ namespace: 'n', repositories: [repo, other] });
    const b = generateParameters({ namespace: 'n', repositories: [other, repo] });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('keeps two texts that share a key apart by their exact records', () => {
    const long = (c: string) => `ghcr.io/${'a'.repeat(246)}${c}`;
    const { configMap } = generateParameters({
      namespace: 'n',
      repositories: [long('b'), long('c')].map((repository) => ({
        ...repo,
        repository,
        tags: [],
        digests: [],
      })),
    });
    const values = Object.values(configMap.data);
    expect(values).toHaveLength(1);
    expect(values[0]).toContain(`\n${long('b')} `);
    expect(values[0]).toContain(`\n${long('c')} `);
  });

  it('stays within the size bound, dropping early-feedback records first, and fails closed beyond', () => {
    const many = Array.from({ length: 4000 }, (_, i) => ({
      ...repo,
      repository: `ghcr.io/acme/app-${i}`,
    }));
    const result = generateParameters({ namespace: 'n', repositories: many });
    const size = Object.entries(result.configMap.data).reduce((n, [k, v]) => n + k.length + v.length, 0);
    expect(size).toBeLessThanOrEqual(MAX_DATA_BYTES + 100);
    expect(result.dropped).toBeGreaterThan(0);
    expect(result.overflow).toBe(true);
    expect(result.configMap.data[OVERFLOW_KEY]).toBe('true');

    const few = generateParameters({ namespace: 'n', repositories: many.slice(0, 1500) });
    expect(few.overflow).toBe(false);
    expect(few.dropped).toBeGreaterThan(0);
    expect(Object.keys(few.configMap.data).filter((k) => k.startsWith('R.'))).toHaveLength(1500);
  });
});
