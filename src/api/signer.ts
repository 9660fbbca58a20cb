// A signer as pins declare it and baselines record it: keyless (an OIDC issuer and a subject)
// or a public key.
import { z } from 'zod';
import { text, withRules } from './schema-helpers.ts';

export const githubClaimsSchema = z
  .object({
    workflowRepository: text(256, 'Repository the signing workflow ran in (owner/name).').optional(),
    workflowRef: text(
      512,
      'Git ref the signing workflow ran for (refs/tags/v1.2.3, refs/heads/main).',
    ).optional(),
    workflowTrigger: text(
      64,
      'Event that triggered the workflow (push, release, workflow_dispatch).',
    ).optional(),
    workflowName: text(256, 'Name of the workflow.').optional(),
  })
  .meta({ description: 'GitHub Actions claims the Fulcio certificate must also carry (all that are set).' });

export const keylessSignerSchema = withRules(
  z
    .object({
      issuer: text(512, 'OIDC issuer of the Fulcio certificate, matched exactly.'),
      subject: text(1024, 'Certificate identity (SAN), matched exactly.').optional(),
      subjectRegExp: text(
        1024,
        'Certificate identity as a regular expression, anchored at both ends (^ and $ are implied).',
      ).optional(),
      github: githubClaimsSchema.optional(),
    })
    .meta({ description: 'A keyless (Fulcio certificate) signer.' }),
  [
    {
      rule: 'has(self.subject) != has(self.subjectRegExp)',
      message: 'a keyless signer needs exactly one of subject or subjectRegExp',
    },
    { rule: 'size(self.issuer) > 0', message: 'a keyless signer needs an issuer' },
  ],
);

export const secretKeyRefSchema = z
  .object({
    namespace: text(63, 'Namespace of the Secret.'),
    name: text(253, 'Name of the Secret.'),
    key: text(253, 'Key in the Secret whose value is the PEM public key.'),
  })
  .meta({ description: 'A key of a Secret.' });

export const keySignerSchema = withRules(
  z
    .object({
      publicKey: text(8192, 'PEM-encoded public key (ECDSA, Ed25519 or RSA).').optional(),
      secretRef: secretKeyRefSchema.optional(),
    })
    .meta({ description: 'A public-key signer.' }),
  [
    {
      rule: 'has(self.publicKey) != has(self.secretRef)',
      message: 'a key signer needs exactly one of publicKey or secretRef',
    },
  ],
);

export const signerSchema = withRules(
  z
    .object({
      keyless: keylessSignerSchema.optional(),
      key: keySignerSchema.optional(),
    })
    .meta({ description: 'An acceptable signer: exactly one of keyless or key.' }),
  [
    {
      rule: 'has(self.keyless) != has(self.key)',
      message: 'a signer is either keyless or a key, exactly one',
    },
  ],
);

export type Signer = z.infer<typeof signerSchema>;
