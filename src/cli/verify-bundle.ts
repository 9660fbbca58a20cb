// `signwarden verify-bundle`: verifies one Sigstore bundle offline against an artifact (its bytes or
// its digest) and, optionally, an expected signer. Exit 0: verified and the policy matched; 1:
// verification failed or the signer is not the expected one (the report says why); 2: usage.
import { parseArgs } from 'node:util';
import { parseDigest } from '../sigstore/artifact-digest.ts';
import { MAX_BUNDLE_BYTES, verifyBundleText } from '../sigstore/bundle-verifier.ts';
import type { ArtifactInput } from '../sigstore/bundle-verifier.ts';
import { compileSignerPolicy, matchAnySigner } from '../sigstore/identity-policy.ts';
import type { PolicyMatch, SignerPolicy } from '../sigstore/identity-policy.ts';
import type { TrustedKey } from '../sigstore/public-key.ts';
import type { TrustRoot } from '../sigstore/trusted-root.ts';
import { escapeUntrusted } from '../sigstore/untrusted-text.ts';
import type { VerificationResult } from '../sigstore/verification-result.ts';
import { UsageError, loadKeys, loadTrustRoot, readBounded } from './cli-files.ts';
import type { CommandIo } from './cli-files.ts';

export type { CommandIo } from './cli-files.ts';

export const VERIFY_BUNDLE_USAGE =
  'signwarden verify-bundle --bundle FILE (--digest ALG:HEX | --artifact FILE) [--identity S | --identity-regexp RE] ' +
  '[--issuer S] [--key PEMFILE]... [--trusted-root FILE] [--output text|json]';

const MAX_ARTIFACT_BYTES = 1024 * 1024 * 1024;

/** What the command reports: the verification outcome and, for a verified signer, the policy match. */
export interface VerifyBundleReport {
  result: VerificationResult;
  /** Absent when no expected signer was given. */
  policy?: PolicyMatch;
}

export interface VerifyBundleRequest {
  bundleText: string;
  artifact: ArtifactInput;
  trust: TrustRoot;
  keys: readonly TrustedKey[];
  /** Any of these signers is acceptable; empty: report the signer, whoever it is. */
  policies: readonly SignerPolicy[];
}

/** The verification the command performs, on contents already read and parsed. */
export function verifyBundleRequest(request: VerifyBundleRequest): VerifyBundleReport {
  const result = verifyBundleText(request.bundleText, {
    artifact: request.artifact,
    trust: request.trust,
    keys: request.keys,
  });
  if (result.outcome !== 'Verified' || request.policies.length === 0) return { result };
  return { result, policy: matchAnySigner(result.signer, request.policies) };
}

export const reportSucceeded = (report: VerifyBundleReport): boolean =>
  report.result.outcome === 'Verified' && (report.policy?.matched ?? true);

async function requestFromArgs(argv: string[]): Promise<VerifyBundleRequest & { output: 'text' | 'json' }> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        bundle: { type: 'string' },
        digest: { type: 'string' },
        artifact: { type: 'string' },
        identity: { type: 'string' },
        'identity-regexp': { type: 'string' },
        issuer: { type: 'string' },
        key: { type: 'string', multiple: true },
        'trusted-root': { type: 'string' },
        output: { type: 'string', default: 'text' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const output = values.output;
  if (output !== 'text' && output !== 'json') throw new UsageError('--output is text or json');
  if (values.bundle === undefined) throw new UsageError('--bundle is required');
  if ((values.digest === undefined) === (values.artifact === undefined))
    throw new UsageError('give exactly one of --digest and --artifact');
  if (values.identity !== undefined && values['identity-regexp'] !== undefined)
    throw new UsageError('give at most one of --identity and --identity-regexp');
  const subjectGiven = values.identity !== undefined || values['identity-regexp'] !== undefined;
  if (subjectGiven !== (values.issuer !== undefined))
    throw new UsageError('--identity or --identity-regexp and --issuer go together');

  let artifact: ArtifactInput;
  if (values.digest !== undefined) {
    const digest = parseDigest(values.digest);
    if ('error' in digest) throw new UsageError(`--digest: ${digest.error}`);
    artifact = { digest };
  } else {
    artifact = { bytes: await readBounded(values.artifact ?? '', MAX_ARTIFACT_BYTES, 'artifact') };
  }

  const bundleText = (await readBounded(values.bundle, MAX_BUNDLE_BYTES, 'bundle')).toString('utf8');

  const trust: TrustRoot = await loadTrustRoot(values['trusted-root']);
  const keys: TrustedKey[] = await loadKeys(values.key ?? []);

  const policies: SignerPolicy[] = [];
  if (values.issuer !== undefined) {
    const policy = compileSignerPolicy({
      kind: 'Keyless',
      issuer: values.issuer,
      ...(values.identity !== undefined ? { subject: values.identity } : {}),
      ...(values['identity-regexp'] !== undefined ? { subjectRegExp: values['identity-regexp'] } : {}),
    });
    if ('error' in policy) throw new UsageError(policy.error);
    policies.push(policy);
  }
  // Keys given are expected signers too: a keyless signature then only passes an identity policy.
  if (keys.length > 0)
    policies.push(...keys.map((key): SignerPolicy => ({ kind: 'Key', fingerprint: key.fingerprint })));

  return { output, bundleText, artifact, trust, keys, policies };
}

function renderText(report: VerifyBundleReport): string {
  const lines = [`outcome: ${report.result.outcome}`];
  const result = report.result;
  if (result.outcome !== 'Verified') {
    lines.push(`reason: ${result.reason}`);
  } else if (result.signer.kind === 'Keyless') {
    lines.push('signer: keyless');
    lines.push(`identity: ${escapeUntrusted(result.signer.identity, 1024)}`);
    lines.push(`issuer: ${escapeUntrusted(result.signer.issuer, 1024)}`);
    for (const [claim, value] of Object.entries(result.signer.github ?? {}) as [string, string | undefined][])
      if (value !== undefined) lines.push(`github.${claim}: ${escapeUntrusted(value, 1024)}`);
  } else {
    lines.push('signer: key');
    lines.push(`fingerprint: ${result.signer.fingerprint}`);
  }
  if (result.outcome === 'Verified')
    lines.push(
      report.policy === undefined
        ? 'policy: none given'
        : report.policy.matched
          ? 'policy: matched'
          : `policy: not matched: ${report.policy.reason}`,
    );
  return `${lines.join('\n')}\n`;
}

function renderJson(report: VerifyBundleReport): string {
  return `${JSON.stringify({ ...report.result, ...(report.policy ? { policy: report.policy } : {}) })}\n`;
}

/** `signwarden verify-bundle ...`: 0 verified and policy matched, 1 failed or mismatched, 2 usage. */
export async function verifyBundleCommand(argv: string[], io: CommandIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(`Usage: ${VERIFY_BUNDLE_USAGE}\n`);
    return 0;
  }
  let request: Awaited<ReturnType<typeof requestFromArgs>>;
  try {
    request = await requestFromArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(
      `signwarden verify-bundle: ${error.message.replace(/\s*\n\s*/g, ' ')} (usage: ${VERIFY_BUNDLE_USAGE})\n`,
    );
    return 2;
  }
  const report = verifyBundleRequest(request);
  io.stdout(request.output === 'json' ? renderJson(report) : renderText(report));
  return reportSucceeded(report) ? 0 : 1;
}
