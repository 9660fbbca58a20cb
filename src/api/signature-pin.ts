// SignaturePin: declared truth, applied from git. Selects repositories (globs over canonical keys)
// or nodes (a label selector) and lists the signers acceptable for them.
import { z } from 'zod';
import { conditionsField } from './conditions.ts';
import { signerSchema } from './signer.ts';
import { count, list, text, observedGeneration } from './schema-helpers.ts';
import type { KindDefinition } from './kind-definition.ts';

const labelSelectorSchema = z
  .object({
    matchLabels: z
      .record(z.string().max(317), z.string().max(63))
      .meta({ description: 'Labels a node must carry, all of them.', maxProperties: 16 })
      .optional(),
    matchExpressions: list(
      z
        .object({
          key: text(317, 'Label key.'),
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']).meta({ description: 'Operator.' }),
          values: list(text(63, 'A label value.'), 16, 'Values for In and NotIn.').optional(),
        })
        .meta({ description: 'A label selector requirement.' }),
      8,
      'Label selector requirements, all of which must hold.',
    ).optional(),
  })
  .meta({ description: 'Nodes this pin applies to (a standard label selector).' });

export const signaturePinSpecSchema = z
  .object({
    repositories: list(
      text(
        512,
        'A glob over canonical repository keys: * matches within a path segment, ** across segments.',
      ),
      64,
      'Repositories this pin applies to.',
    )
      .min(1)
      .optional(),
    nodeSelector: labelSelectorSchema.optional(),
    signers: list(signerSchema, 16, 'Acceptable signers; any other signer is a PinViolation.').min(1),
    description: text(1024, 'Why this pin exists, for humans.').optional(),
  })
  .meta({ description: 'What the pin selects and which signers it accepts.' });

export const signaturePinStatusSchema = z
  .object({
    observedGeneration: observedGeneration(),
    selector: text(256, 'Short human-readable summary of what the pin selects.').optional(),
    matchedRepositories: count(
      'How many repositories in use or with a baseline the pin selects (its globs match them).',
    ).optional(),
    conditions: conditionsField.optional(),
  })
  .meta({ description: 'Whether the pin is in force.' });

export const signaturePinKind: KindDefinition = {
  kind: 'SignaturePin',
  plural: 'signaturepins',
  singular: 'signaturepin',
  shortNames: ['pin'],
  description:
    'Declared ground truth: the signers acceptable for the repositories or nodes it selects. Guards them at once, without a trust-on-first-use wait.',
  spec: signaturePinSpecSchema,
  status: signaturePinStatusSchema,
  specRules: [
    {
      rule: 'has(self.repositories) != has(self.nodeSelector)',
      message: 'a pin selects either repositories or nodes (nodeSelector), exactly one',
    },
  ],
  printerColumns: [
    { name: 'Selects', type: 'string', jsonPath: '.status.selector' },
    { name: 'Matched', type: 'integer', jsonPath: '.status.matchedRepositories' },
    { name: 'Repositories', type: 'string', jsonPath: '.spec.repositories', priority: 1 },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
