import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { customResourceDefinition, toStructural } from './crd.ts';
import { crdFileName } from './crd-files.ts';
import { KINDS } from './kinds.ts';
import { crdReference } from './crd-reference.ts';

describe('CRD generation', () => {
  it.each(KINDS.map((k) => [k.kind, k] as const))('crds/ is up to date for %s (run make crds)', (_, def) => {
    const committed: unknown = parse(
      readFileSync(new URL(`../../crds/${crdFileName(def)}`, import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(customResourceDefinition(def));
  });

  it('docs/crd-reference.md is up to date (run make crds)', () => {
    const committed = readFileSync(new URL('../../docs/crd-reference.md', import.meta.url), 'utf8');
    expect(committed).toBe(crdReference(KINDS));
  });

  it.each([
    [
      'drops additionalProperties: false',
      { type: 'object', additionalProperties: false },
      { type: 'object' },
    ],
    [
      'keeps additionalProperties schemas',
      { additionalProperties: { type: 'string' } },
      { additionalProperties: { type: 'string' } },
    ],
    ['drops $schema', { $schema: 'x', type: 'string' }, { type: 'string' }],
    [
      'drops the date-time pattern',
      { type: 'string', format: 'date-time', pattern: '^x$' },
      { type: 'string', format: 'date-time' },
    ],
    ['keeps other patterns', { type: 'string', pattern: '^x$' }, { type: 'string', pattern: '^x$' }],
    [
      'drops safe-integer bounds',
      { type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
      { type: 'integer', format: 'int64' },
    ],
    ['keeps real bounds', { type: 'integer', minimum: 0 }, { type: 'integer', minimum: 0, format: 'int64' }],
    ['recurses into arrays', { items: [{ $schema: 'x' }] }, { items: [{}] }],
  ])('%s', (_, input, expected) => {
    expect(toStructural(input)).toEqual(expected);
  });

  it.each(KINDS.map((k) => [k.kind, k] as const))('%s: scope and status subresource', (_, def) => {
    const crd = customResourceDefinition(def) as {
      spec: { scope: string; versions: [{ subresources?: unknown; schema: { openAPIV3Schema: unknown } }] };
    };
    expect(crd.spec.scope).toBe(def.scope ?? 'Cluster');
    expect(crd.spec.versions[0].subresources).toEqual({ status: {} });
    const root = crd.spec.versions[0].schema.openAPIV3Schema as { properties: Record<string, unknown> };
    expect('status' in root.properties).toBe(true);
  });

  it('every string, list and map in every schema is bounded', () => {
    const unbounded: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (
        n.type === 'string' &&
        n.maxLength === undefined &&
        n.enum === undefined &&
        n.format !== 'date-time'
      )
        unbounded.push(path);
      if (n.type === 'array' && n.maxItems === undefined) unbounded.push(path);
      if (n.type === 'object' && n.additionalProperties !== undefined && n.maxProperties === undefined)
        unbounded.push(path);
      for (const [k, v] of Object.entries(n)) if (k !== 'x-kubernetes-validations') walk(v, `${path}.${k}`);
    };
    for (const def of KINDS) {
      const crd = customResourceDefinition(def) as {
        spec: { versions: [{ schema: { openAPIV3Schema: unknown } }] };
      };
      const root = crd.spec.versions[0].schema.openAPIV3Schema as { properties: Record<string, unknown> };
      walk(root.properties.spec, `${def.kind}.spec`);
      walk(root.properties.status, `${def.kind}.status`);
    }
    expect(unbounded).toEqual([]);
  });
});
