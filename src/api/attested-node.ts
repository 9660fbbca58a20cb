// AttestedNode: a node's measured boot, checked against a signed build-provenance attestation.
import { z } from 'zod';
import { conditionsField } from './conditions.ts';
import { list, oneOf, text, timestamp, withRules, observedGeneration } from './schema-helpers.ts';
import type { KindDefinition } from './kind-definition.ts';

export const attestedNodeSpecSchema = z
  .object({
    nodeName: text(253, 'Name of the Node this record describes.'),
    measurement: withRules(
      z
        .object({
          algorithm: oneOf(['sha256', 'sha384', 'sha512'], 'Digest algorithm of the measurement.'),
          digest: z
            .string()
            .max(128)
            .regex(/^[a-f0-9]+$/)
            .meta({ description: 'Lower-case hex digest (for example a TDX MRTD as sha384).' }),
        })
        .meta({ description: 'The measurement the node reported.' }),
      [
        {
          rule: "size(self.digest) == {'sha256': 64, 'sha384': 96, 'sha512': 128}[self.algorithm]",
          message: 'digest length does not match the algorithm',
        },
      ],
    ),
    evidence: z
      .object({
        type: oneOf(['TDXQuote', 'AttestationToken'], 'Kind of evidence.'),
        data: text(65536, 'The evidence, base64 (a quote) or compact JWT (a token).'),
      })
      .meta({ description: 'Optional evidence that the measurement is genuine.' })
      .optional(),
    bundles: list(
      text(262144, 'A Sigstore bundle (JSON) carrying a build-provenance attestation.'),
      4,
      'Optional inline Sigstore bundles for the measured build.',
    ).optional(),
  })
  .meta({ description: 'What the node reported about its boot.' });

export const attestedNodeStatusSchema = z
  .object({
    observedGeneration: observedGeneration(),
    verdict: oneOf(
      ['Verified', 'Unverified', 'Failed', 'Pending'],
      'Outcome of the provenance check.',
    ).optional(),
    signer: text(1100, 'Identity that signed the provenance attestation.').optional(),
    builder: text(1024, 'Builder named by the provenance.').optional(),
    source: text(1024, 'Source repository and revision named by the provenance.').optional(),
    evidenceStrength: oneOf(
      ['None', 'Token', 'Quote'],
      'How strongly the measurement itself is backed by hardware evidence.',
    ).optional(),
    lastVerifiedTime: timestamp('When the verdict was last computed.').optional(),
    conditions: conditionsField.optional(),
  })
  .meta({ description: 'The verdict on the node.' });

export const attestedNodeKind: KindDefinition = {
  kind: 'AttestedNode',
  plural: 'attestednodes',
  singular: 'attestednode',
  shortNames: ['an'],
  description: 'A node measured boot, checked against a signed build-provenance attestation.',
  spec: attestedNodeSpecSchema,
  status: attestedNodeStatusSchema,
  printerColumns: [
    { name: 'Node', type: 'string', jsonPath: '.spec.nodeName' },
    { name: 'Measurement', type: 'string', jsonPath: '.spec.measurement.digest' },
    { name: 'Verdict', type: 'string', jsonPath: '.status.verdict' },
    { name: 'Signer', type: 'string', jsonPath: '.status.signer' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
