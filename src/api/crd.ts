// Generates CustomResourceDefinitions from the kind definitions: the zod schemas are the single
// source of truth for the types the code uses and for the structural schemas the API server
// enforces. Pure: kind definitions in, plain objects out.
import { z } from 'zod';
import { GROUP, VERSION } from './group.ts';
import type { KindDefinition } from './kind-definition.ts';

type JsonSchema = Record<string, unknown>;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Rewrites zod's OpenAPI 3.0 output into a Kubernetes structural schema: no
 * `additionalProperties: false` beside `properties` (pruning already drops unknown fields), no
 * `$schema`, no redundant date-time pattern, no ±2^53 integer bounds, and `format: int64`.
 */
export function toStructural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructural);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node as JsonSchema)) {
    if (key === '$schema') continue;
    if (key === 'additionalProperties' && value === false) continue;
    out[key] = key === 'x-kubernetes-validations' || key === 'enum' ? value : toStructural(value);
  }
  if (out.format === 'date-time') delete out.pattern;
  if (out.type === 'integer') {
    if (out.maximum === MAX_SAFE) delete out.maximum;
    if (out.minimum === -MAX_SAFE) delete out.minimum;
    out.format = 'int64';
  }
  return out;
}

const schemaOf = (schema: z.ZodType): JsonSchema =>
  toStructural(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' })) as JsonSchema;

export function customResourceDefinition(def: KindDefinition): JsonSchema {
  const spec = schemaOf(def.spec);
  if (def.specRules) spec['x-kubernetes-validations'] = def.specRules;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: def.scope ?? 'Cluster',
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: ['signwarden'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: def.description,
              required: ['spec'],
              properties: {
                apiVersion: {
                  type: 'string',
                  description: 'APIVersion of this representation of the object.',
                },
                kind: { type: 'string', description: 'Kind of the object.' },
                metadata: { type: 'object' },
                spec: spec,
                status: schemaOf(def.status),
              },
            },
          },
        },
      ],
    },
  };
}
