// DriftFinding: one break in a repository's signing history, per (repository, kind, subject).
// Kept small on purpose: bounded lists and no payload dumps.
import { z } from 'zod';
import { conditionsField } from './conditions.ts';
import { POSTURES } from './postures.ts';
import { count, digest, list, oneOf, text, timestamp } from './schema-helpers.ts';
import type { KindDefinition } from './kind-definition.ts';

export const DRIFT_KINDS = [
  'Unsigned',
  'Invalid',
  'IdentityChanged',
  'IssuerChanged',
  'Downgraded',
  'PinViolation',
  'LogSignedRegistryUnsigned',
  'RegistrySignedNotInLog',
  'ProvenanceChanged',
] as const;
export const SEVERITIES = ['Low', 'Medium', 'High', 'Critical'] as const;
export const FINDING_PHASES = ['Open', 'Accepted', 'Resolved'] as const;

const signerTextSchema = text(1100, 'A signer as text: identity and issuer, or a key fingerprint.');

const immutable = { 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'is immutable' }] };

export const driftFindingSpecSchema = z
  .object({
    repository: text(512, 'Canonical repository key.').meta(immutable),
    kind: oneOf(DRIFT_KINDS, 'What broke.').meta(immutable),
    subject: text(1100, 'What the finding is about: the digest, or the new signer.').meta(immutable),
  })
  .meta({ description: 'The identity of the finding; set once by the operator.' });

const workloadRefSchema = z
  .object({
    kind: text(
      64,
      'Kind of the workload (Pod, Deployment, ...), or RegistryTag for a tag of a watched repository.',
    ),
    namespace: text(63, 'Namespace of the workload; empty for a RegistryTag.'),
    // A RegistryTag is named repository:tag: a repository key of up to 255 characters and a tag of up to 128.
    name: text(384, 'Name of the workload; repository:tag for a RegistryTag.'),
  })
  .meta({
    description: 'A workload that runs or templates the drifted digest, or a registry tag that names it.',
  });

export const driftFindingStatusSchema = z
  .object({
    phase: oneOf(
      FINDING_PHASES,
      'Open until accepted or until nothing uses the digest (Resolved).',
    ).optional(),
    severity: oneOf(
      SEVERITIES,
      'Low on a cold baseline; High or Critical when established or pinned.',
    ).optional(),
    digest: digest('The digest that drifted.').optional(),
    expected: list(signerTextSchema, 16, 'Signers the baseline or pin expects.').optional(),
    expectedSource: oneOf(
      ['Baseline', 'Pin'],
      'Whether a learned baseline or a pin set the expectation.',
    ).optional(),
    observed: text(1100, 'What was observed instead: a signer, or a posture with its reason.').optional(),
    observedPosture: oneOf(POSTURES, 'Posture of the drifted digest.').optional(),
    firstDetected: timestamp('When the drift was first detected.').optional(),
    lastDetected: timestamp('When the drift was last detected.').optional(),
    affectedWorkloads: list(
      workloadRefSchema,
      20,
      'Workloads that run or template the digest (first 20).',
    ).optional(),
    affectedWorkloadCount: count('How many workloads in all run or template the digest.').optional(),
    acceptance: z
      .object({
        reason: text(1024, 'The reason given in the signwarden.dev/accept annotation.'),
        time: timestamp('When the acceptance was recorded.'),
      })
      .meta({ description: 'Set once a user accepted the finding.' })
      .optional(),
    resolvedTime: timestamp('When the finding resolved.').optional(),
    conditions: conditionsField.optional(),
  })
  .meta({ description: 'The state of the finding.' });

export const driftFindingKind: KindDefinition = {
  kind: 'DriftFinding',
  plural: 'driftfindings',
  singular: 'driftfinding',
  shortNames: ['drift'],
  description:
    'A break in a repository signing history. Accept it with: kubectl annotate driftfinding NAME signwarden.dev/accept="reason".',
  spec: driftFindingSpecSchema,
  status: driftFindingStatusSchema,
  printerColumns: [
    { name: 'Repository', type: 'string', jsonPath: '.spec.repository' },
    { name: 'Kind', type: 'string', jsonPath: '.spec.kind' },
    { name: 'Severity', type: 'string', jsonPath: '.status.severity' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Digest', type: 'string', jsonPath: '.status.digest' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
