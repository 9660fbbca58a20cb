// Trust material: which Fulcio CAs, Rekor logs, CT logs and timestamp authorities we believe.
// Either the public-good Sigstore root embedded in @sigstore/tuf (works offline, out of the box)
// or a custom trusted_root.json (a private Sigstore, an air-gapped mirror, tests).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial } from '@sigstore/verify';
import type { TrustMaterial, VerifierOptions } from '@sigstore/verify';
import { z } from 'zod';
import { memoizeTrustMaterial } from './certificate-memo.ts';

export interface TrustRoot {
  /** Where the root came from, for messages: "public-good (embedded)" or a file name. */
  readonly source: string;
  readonly root: TrustedRoot;
  /** The parsed CAs and log keys; its `publicKey` finder knows no keys (keys are passed per call). */
  readonly material: TrustMaterial;
}

/** Thresholds the library checks (log entries, SCTs, timestamps), each at least this many. */
export type Thresholds = Required<
  Pick<VerifierOptions, 'tlogThreshold' | 'ctlogThreshold' | 'timestampThreshold'>
>;

export const MAX_TRUSTED_ROOT_BYTES = 1024 * 1024;

const base64 = z
  .string()
  .max(64 * 1024)
  .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'is not base64');

const timeRange = z.object({
  start: z.iso.datetime({ offset: true }).nullish(),
  end: z.iso.datetime({ offset: true }).nullish(),
});

const transparencyLog = z.object({
  baseUrl: z.string().max(1024),
  hashAlgorithm: z.string().max(64).nullish(),
  publicKey: z.object({
    rawBytes: base64.min(1),
    keyDetails: z.string().max(64),
    validFor: timeRange.nullish(),
  }),
  logId: z.object({ keyId: base64.min(1) }),
  checkpointKeyId: z.object({ keyId: base64.min(1) }).nullish(),
});

const certificateAuthority = z.object({
  uri: z.string().max(1024).nullish(),
  certChain: z.object({
    certificates: z
      .array(z.object({ rawBytes: base64.min(1) }))
      .min(1)
      .max(16),
  }),
  validFor: timeRange.nullish(),
});

const trustedRootSchema = z.object({
  mediaType: z
    .string()
    .regex(
      /^application\/vnd\.dev\.sigstore\.trustedroot(\+json;version=0\.\d+|\.v0\.\d+\+json)$/,
      'is not a Sigstore trusted root media type',
    ),
  tlogs: z.array(transparencyLog).max(64).default([]),
  certificateAuthorities: z.array(certificateAuthority).max(64).default([]),
  ctlogs: z.array(transparencyLog).max(64).default([]),
  timestampAuthorities: z.array(certificateAuthority).max(64).default([]),
});

/** Parses the contents of a trusted_root.json, or says clearly what is wrong with it. */
export function parseTrustedRoot(text: string, source: string): TrustRoot | { error: string } {
  if (text.length > MAX_TRUSTED_ROOT_BYTES)
    return { error: `trusted root ${source} is larger than ${MAX_TRUSTED_ROOT_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { error: `trusted root ${source} is not JSON: ${(error as Error).message}` };
  }
  const parsed = trustedRootSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(top level)';
    return { error: `trusted root ${source} is malformed at ${where}: ${issue?.message ?? 'invalid'}` };
  }
  try {
    // Validated above; the protobuf mapping reads the same JSON (it ignores fields it does not know).
    const root = TrustedRoot.fromJSON(json);
    // Parses every certificate and log key now, so a bad root fails here and not at first use.
    const material = toTrustMaterial(root);
    memoizeTrustMaterial(material);
    return { source, root, material };
  } catch (error) {
    return {
      error: `trusted root ${source} has unusable key material: ${(error as Error).message || String(error)}`,
    };
  }
}

const seedsSchema = z.record(z.string(), z.object({ targets: z.record(z.string(), z.string()) }));

export const PUBLIC_GOOD_TUF_REPOSITORY = 'https://tuf-repo-cdn.sigstore.dev';

let publicGood: TrustRoot | undefined;

/**
 * The public-good Sigstore trusted root as shipped (TUF-signed target, base64 in `seeds.json`)
 * inside @sigstore/tuf. No network: refreshing it through TUF is a separate, opt-in concern.
 */
export function publicGoodTrustRoot(): TrustRoot {
  if (publicGood) return publicGood;
  const require = createRequire(import.meta.url);
  const seeds = seedsSchema.parse(
    JSON.parse(readFileSync(require.resolve('@sigstore/tuf/seeds.json'), 'utf8')) as unknown,
  );
  const encoded = seeds[PUBLIC_GOOD_TUF_REPOSITORY]?.targets['trusted_root.json'];
  if (encoded === undefined)
    throw new Error('@sigstore/tuf seeds.json holds no public-good trusted_root.json');
  const parsed = parseTrustedRoot(
    Buffer.from(encoded, 'base64').toString('utf8'),
    'public-good (embedded in @sigstore/tuf)',
  );
  if ('error' in parsed) throw new Error(parsed.error);
  publicGood = parsed;
  return parsed;
}

/**
 * Require what the root can vouch for: a log entry when it has logs, an SCT when it has CT logs, and
 * always one verified timestamp (a log's integrated time or an RFC 3161 timestamp), against which
 * the short-lived certificate's validity is judged. A root without logs (GitHub's instance) thus
 * needs a TSA timestamp instead, exactly as `gh attestation verify` does.
 */
export function defaultThresholds(trust: TrustRoot): Thresholds {
  return {
    tlogThreshold: trust.material.tlogs.length > 0 ? 1 : 0,
    ctlogThreshold: trust.material.ctlogs.length > 0 ? 1 : 0,
    timestampThreshold: 1,
  };
}
