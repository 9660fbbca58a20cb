// SigningBaseline: who signs one repository, learned on first use. The spec names the repository;
// everything learned is status, written by the operator only.
import { z } from 'zod';
import { conditionsField } from './conditions.ts';
import { POSTURES } from './postures.ts';
import { digest, list, oneOf, text, timestamp, withRules } from './schema-helpers.ts';
import type { KindDefinition } from './kind-definition.ts';

const learnedSignerSchema = withRules(
  z
    .object({
      identity: text(1024, 'Canonical keyless identity (SAN) of the signer.').optional(),
      issuer: text(512, 'OIDC issuer of the keyless signer.').optional(),
      keyFingerprint: text(
        80,
        'SHA-256 fingerprint of the public key of a key signer (sha256:<hex>).',
      ).optional(),
      learnedFrom: oneOf(['Observed', 'Accepted', 'Pinned', 'LogHistory'], 'How the signer became trusted.'),
      firstSeen: timestamp('When a signature by this signer was first verified.'),
      lastSeen: timestamp('When a signature by this signer was last verified.'),
    })
    .meta({ description: 'A signer the repository is known to be signed by.' }),
  [
    {
      rule: '(has(self.identity) && has(self.issuer) && !has(self.keyFingerprint)) || (!has(self.identity) && !has(self.issuer) && has(self.keyFingerprint))',
      message: 'a signer is keyless (identity and issuer) or a key (keyFingerprint)',
    },
  ],
);

export const signingBaselineSpecSchema = z
  .object({
    repository: text(512, 'Canonical repository key (registry host, path; no tag or digest).').meta({
      'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'repository is immutable' }],
    }),
  })
  .meta({ description: 'The repository this baseline describes.' });

export const signingBaselineStatusSchema = z
  .object({
    signers: list(learnedSignerSchema, 32, 'Signers seen for this repository.').optional(),
    signerSummary: text(256, 'Short human-readable summary of the signers.').optional(),
    firstSignedTime: timestamp('When a verified signature was first seen for this repository.').optional(),
    established: z
      .boolean()
      .meta({ description: 'True once the baseline is older than the establishment age; never reverts.' })
      .optional(),
    establishedTime: timestamp('When the baseline became established.').optional(),
    strongestPosture: oneOf(
      ['Signed', 'KeySigned', 'Unverifiable'],
      'Strongest posture seen: Signed > KeySigned > Unverifiable.',
    ).optional(),
    corroboration: oneOf(
      ['None', 'Corroborated', 'Diverged', 'Unavailable'],
      'Transparency-log corroboration of the signers (Rekor lane).',
    ).optional(),
    lastObserved: z
      .object({
        digest: digest('Last digest observed in this repository.'),
        posture: oneOf(POSTURES, 'Posture of that digest.'),
        time: timestamp('When it was observed.'),
      })
      .meta({ description: 'The last observation of this repository.' })
      .optional(),
    conditions: conditionsField.optional(),
  })
  .meta({ description: 'What the operator learned about the repository.' });

export const signingBaselineKind: KindDefinition = {
  kind: 'SigningBaseline',
  plural: 'signingbaselines',
  singular: 'signingbaseline',
  shortNames: ['sb'],
  description:
    'Who signs one repository, learned on first use and established after a wall-clock age. Delete it to reset trust for the repository.',
  spec: signingBaselineSpecSchema,
  status: signingBaselineStatusSchema,
  printerColumns: [
    { name: 'Repository', type: 'string', jsonPath: '.spec.repository' },
    { name: 'Signers', type: 'string', jsonPath: '.status.signerSummary' },
    { name: 'Established', type: 'boolean', jsonPath: '.status.established' },
    { name: 'Corroboration', type: 'string', jsonPath: '.status.corroboration' },
    { name: 'Last Seen', type: 'date', jsonPath: '.status.lastObserved.time' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
