// EnforcementParameters: the verdicts the admission policy decides by in one namespace (DESIGN.md §5,
// docs/enforcement.md). A cache the operator derives from baselines, pins and findings and writes
// whole; never a store of record. Its status says whether admission can use it: the policy in place,
// every verdict listed. Namespaced, so that a binding's paramRef without a
// namespace picks the object of the request's own namespace. A custom resource rather than a
// ConfigMap: the API server hands it to CEL as it is, where a ConfigMap is converted on every request.
import { z } from 'zod';
import { conditionsField } from './conditions.ts';
import { count, text } from './schema-helpers.ts';
import type { KindDefinition } from './kind-definition.ts';

/** Digests or tags listed per repository; the operator's size bound (~1 MiB) comes first in practice. */
export const MAX_VERDICTS_PER_REPOSITORY = 16_384;
export const MAX_REPOSITORIES = 8_192;
/** Admitted digests listed in all; the size bound comes first in practice (about 12,000 fit). */
export const MAX_ADMITTED = 65_536;

const verdict = (description: string) =>
  z
    .string()
    .max(254)
    .regex(/^(\+|\+accepted|-[a-z0-9.-]*)$/)
    .meta({ description });

/** A map keyed by exact text; `atomic`: the operator writes it whole, so managedFields name only the map. */
const verdictMap = (description: string) =>
  z
    .record(
      z.string(),
      verdict('`+` admitted, `+accepted` admitted by an accepted finding, `-<finding>` known to violate.'),
    )
    .meta({
      description,
      maxProperties: MAX_VERDICTS_PER_REPOSITORY,
    });

const repositorySchema = z
  .object({
    guardedBy: text(
      300,
      'What guards the repository, as kubectl get takes it (signingbaseline/NAME or signaturepin/NAME). Absent when nothing does: then only its digests known to violate are listed.',
    ).optional(),
    signers: text(512, 'The expected signers, as denial messages show them.').optional(),
    digests: verdictMap(
      'Verdicts by digest (sha256:<hex>), exactly as an image reference spells it: those known to violate; admitted ones only when they would not all fit in spec.admitted.',
    ).optional(),
    tags: verdictMap(
      'What each tag last resolved to: `+` an admitted digest, `-<finding>` a violating one.',
    ).optional(),
  })
  .meta({ description: 'One repository, keyed by its canonical key.' });

export const enforcementParametersSpecSchema = z
  .object({
    repositories: z.record(z.string(), repositorySchema).meta({
      description:
        'Repositories with verdicts, by canonical repository key (registry host and path, e.g. docker.io/library/nginx).',
      maxProperties: MAX_REPOSITORIES,
      'x-kubernetes-map-type': 'atomic',
    }),
    admitted: z
      .record(
        z.string(),
        z
          .enum(['+', '+accepted'])
          .meta({ description: '`+` verified, `+accepted` admitted by an accepted finding.' }),
      )
      .meta({
        description:
          'Admitted digests of guarded repositories, keyed <repository>@<digest> exactly as an image reference spells it, so that admission reads one entry per image. Empty when they would not all fit: they are then listed under their repository, more compactly.',
        maxProperties: MAX_ADMITTED,
        'x-kubernetes-map-type': 'atomic',
      })
      .optional(),
    overflow: z.boolean().meta({
      description:
        'True when the verdicts did not fit: every repository then counts as guarded, and a digest not listed is denied (fail closed).',
    }),
    dropped: count('Verdicts left out to stay within the size bound (0 when all fit).'),
    counts: z
      .object({
        repositories: count('Guarded repositories listed.'),
        digests: count('Digest verdicts listed (admitted and violating).'),
        tags: count('Tag verdicts listed.'),
      })
      .meta({ description: 'What is listed, for kubectl get.' }),
  })
  .meta({ description: 'The verdicts, written by the operator only (a guard policy refuses anyone else).' });

export type EnforcementParametersSpec = z.infer<typeof enforcementParametersSpecSchema>;

export const enforcementParametersStatusSchema = z
  .object({
    conditions: conditionsField.optional(),
  })
  .meta({
    description:
      'PolicyReady: the admission policy and its bindings are in place as generated. Complete: every verdict fits (False: Truncated, or Overflow when every repository counts as guarded).',
  });

export type EnforcementParametersStatus = z.infer<typeof enforcementParametersStatusSchema>;

export const enforcementParametersKind: KindDefinition = {
  kind: 'EnforcementParameters',
  scope: 'Namespaced',
  plural: 'enforcementparameters',
  singular: 'enforcementparameters',
  shortNames: ['swparams'],
  description:
    "The verdicts signwarden's admission policy decides by in one enforced namespace: guarded repositories, their verified, accepted and violating digests, and their tags. Derived and rewritten by the operator; nobody else may write it.",
  spec: enforcementParametersSpecSchema,
  status: enforcementParametersStatusSchema,
  printerColumns: [
    {
      name: 'Policy',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="PolicyReady")].status',
    },
    {
      name: 'Complete',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Complete")].status',
    },
    { name: 'Repositories', type: 'integer', jsonPath: '.spec.counts.repositories' },
    { name: 'Digests', type: 'integer', jsonPath: '.spec.counts.digests' },
    { name: 'Tags', type: 'integer', jsonPath: '.spec.counts.tags', priority: 1 },
    { name: 'Overflow', type: 'boolean', jsonPath: '.spec.overflow', priority: 1 },
    { name: 'Dropped', type: 'integer', jsonPath: '.spec.dropped', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
