// Conditions as the Kubernetes API conventions define them.
import { z } from 'zod';
import { count, list, oneOf, text, timestamp } from './schema-helpers.ts';

export const conditionSchema = z
  .object({
    type: text(64, 'Type of the condition, CamelCase (for example Ready).'),
    status: oneOf(['True', 'False', 'Unknown'], 'Status of the condition.'),
    reason: text(64, 'Machine-readable CamelCase reason for the last transition.'),
    message: text(1024, 'Human-readable explanation of the last transition.'),
    lastTransitionTime: timestamp('When the condition last changed status.'),
    observedGeneration: count('The .metadata.generation the condition was computed from.').optional(),
  })
  .meta({ description: 'One observation of the current state of the object.' });

export type Condition = z.infer<typeof conditionSchema>;

export const conditionsField = list(
  conditionSchema,
  8,
  'Latest observations of the object, one per type.',
).meta({
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});
