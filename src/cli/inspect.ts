// `signwarden inspect IMAGE`: the posture of one image, from a laptop, through exactly the code path
// the operator uses in a cluster (judgeDigest). A tag is resolved to its digest first. The exit code
// says the posture, so scripts can branch on it without parsing the output.
import { parseArgs } from 'node:util';
import type { Posture } from '../api/postures.ts';
import { parseImageReference } from '../core/image-reference.ts';
import type { CheckingReason, SignatureLocation, VerifiedSigner } from '../core/observation.ts';
import { judgeDigest } from '../observe/judge-digest.ts';
import type { Judgement, PlatformJudgement } from '../observe/judge-digest.ts';
import { anonymous } from '../registry/credentials.ts';
import type { CredentialProvider } from '../registry/credentials.ts';
import type { RepositoryRef } from '../registry/endpoint.ts';
import { isRegistryHost } from '../registry/names.ts';
import { RegistryClient } from '../registry/registry-client.ts';
import { RegistryError, checkingReasonOf } from '../registry/registry-error.ts';
import type { TrustedKey } from '../sigstore/public-key.ts';
import type { TrustRoot } from '../sigstore/trusted-root.ts';
import { escapeUntrusted } from '../sigstore/untrusted-text.ts';
import { UsageError, loadDockerConfig, loadKeys, loadTrustRoot } from './cli-files.ts';
import type { CommandIo } from './cli-files.ts';

export const INSPECT_USAGE =
  'signwarden inspect IMAGE [--trusted-root FILE] [--key PEMFILE]... [--docker-config FILE] ' +
  '[--signature-repository REPO] [--insecure-registry HOST[:PORT]]... [--output table|json]';

/** The exit code of each posture; 2 is a usage error, 1 an unexpected one. */
export const INSPECT_EXIT_CODES: Readonly<Record<Posture, number>> = {
  Signed: 0,
  KeySigned: 0,
  Unsigned: 3,
  Unverifiable: 4,
  Invalid: 5,
  Checking: 6,
};
export const EXIT_UNEXPECTED = 1;
export const EXIT_USAGE = 2;

/** Which digest carried the deciding signature: the judged digest, the index, or its platform manifests. */
export type SignatureCarrier = 'Digest' | 'Index' | 'Platforms';

/** What the command reports. The JSON output is this object, every field always present. */
export interface InspectReport {
  /** The reference as given. */
  image: string;
  /** The canonical repository key (DESIGN.md §4). */
  repository: string;
  /** The tag resolved, if the reference had one and no digest. */
  tag: string | null;
  /** The digest judged; null only when the tag could not be resolved (Checking). */
  digest: string | null;
  mediaType: string | null;
  /** Where signatures were read, when not from `repository`. */
  signatureRepository: string | null;
  /** The trusted root the keyless signatures were verified against. */
  trustedRoot: string;
  posture: Posture;
  signers: VerifiedSigner[];
  location: SignatureLocation | null;
  signedDigest: string | null;
  signedBy: SignatureCarrier | null;
  checkingReason: CheckingReason | null;
  detail: string | null;
  note: string | null;
  /** An index judged as a whole: each platform. Empty otherwise. */
  platforms: PlatformJudgement[];
  exitCode: number;
}

/** Everything the command needs, read and parsed from its command line. */
export interface InspectRequest {
  image: string;
  trust: TrustRoot;
  keys: readonly TrustedKey[];
  credentials: CredentialProvider;
  signatureRepository?: RepositoryRef;
  insecureRegistries: readonly string[];
  output: 'table' | 'json';
}

async function requestFromArgs(argv: string[]): Promise<InspectRequest> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        'trusted-root': { type: 'string' },
        key: { type: 'string', multiple: true },
        output: { type: 'string', default: 'table' },
        'docker-config': { type: 'string' },
        'signature-repository': { type: 'string' },
        'insecure-registry': { type: 'string', multiple: true },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('give exactly one IMAGE');
  const image = positionals[0] ?? '';
  const output = values.output;
  if (output !== 'table' && output !== 'json') throw new UsageError('--output is table or json');
  const reference = parseImageReference(image);
  if ('error' in reference) throw new UsageError(reference.error);

  let signatureRepository: RepositoryRef | undefined;
  if (values['signature-repository'] !== undefined) {
    const repo = parseImageReference(values['signature-repository']);
    if ('error' in repo) throw new UsageError(`--signature-repository: ${repo.error}`);
    if (repo.tag !== undefined || repo.digest !== undefined)
      throw new UsageError('--signature-repository names a repository, without tag or digest');
    signatureRepository = { registry: repo.registry, repository: repo.repository };
  }
  const insecureRegistries = values['insecure-registry'] ?? [];
  for (const host of insecureRegistries)
    if (!isRegistryHost(host))
      throw new UsageError(`--insecure-registry ${escapeUntrusted(host, 100)} is not HOST[:PORT]`);

  return {
    image,
    output,
    trust: await loadTrustRoot(values['trusted-root']),
    keys: await loadKeys(values.key ?? []),
    credentials:
      values['docker-config'] === undefined ? anonymous : await loadDockerConfig(values['docker-config']),
    ...(signatureRepository ? { signatureRepository } : {}),
    insecureRegistries,
  };
}

/** Resolves the image's tag if needed and judges its digest. */
export async function inspectImage(request: InspectRequest, client?: RegistryClient): Promise<InspectReport> {
  const reference = parseImageReference(request.image);
  if ('error' in reference) throw new UsageError(reference.error);
  const registry =
    client ??
    new RegistryClient({ credentials: request.credentials, insecureRegistries: request.insecureRegistries });
  const repo: RepositoryRef = { registry: reference.registry, repository: reference.repository };
  const tag = reference.digest === undefined ? (reference.tag ?? 'latest') : undefined;
  const base = {
    image: request.image,
    repository: reference.canonical,
    tag: tag ?? null,
    signatureRepository: request.signatureRepository
      ? `${request.signatureRepository.registry}/${request.signatureRepository.repository}`
      : null,
    trustedRoot: request.trust.source,
  };

  const digest = reference.digest ?? (await resolveTag(registry, repo, tag ?? 'latest'));
  if (typeof digest !== 'string') return report(base, null, null, digest);

  // The media type tells judgeDigest an index from an image. A manifest that cannot be fetched
  // (a signature-only mirror, say) is judgeDigest's to report.
  let mediaType: string | undefined;
  let manifestMissing = false;
  try {
    mediaType = (await registry.getManifest(repo, digest)).mediaType;
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    manifestMissing = error.kind === 'NotFound';
  }
  const judgement = await judgeDigest(
    { registry, trust: request.trust, keys: request.keys },
    {
      ...repo,
      digest,
      ...(mediaType !== undefined ? { mediaType } : {}),
      ...(request.signatureRepository ? { signatureRepository: request.signatureRepository } : {}),
    },
  );
  const note = manifestMissing ? 'the image manifest is not available (only its signatures)' : undefined;
  return report(base, digest, mediaType ?? null, { ...(note ? { note } : {}), ...judgement });
}

/** The digest `tag` points to, or a Checking judgement when the registry cannot tell us yet. */
async function resolveTag(
  registry: RegistryClient,
  repo: RepositoryRef,
  tag: string,
): Promise<string | Judgement> {
  try {
    return (await registry.resolveTag(repo, tag)).digest;
  } catch (error) {
    const reason = checkingReasonOf(error);
    if (reason !== undefined)
      return {
        digest: '',
        posture: 'Checking',
        signers: [],
        checkingReason: reason,
        detail: `resolving tag: ${(error as Error).message}`,
      };
    // Not there (NotFound) or not believable (DigestMismatch, BadResponse): no posture to report.
    if (error instanceof RegistryError)
      throw new Error(`cannot resolve tag ${escapeUntrusted(tag)}: ${error.message}`, { cause: error });
    throw error;
  }
}

function report(
  base: Pick<InspectReport, 'image' | 'repository' | 'tag' | 'signatureRepository' | 'trustedRoot'>,
  digest: string | null,
  mediaType: string | null,
  judgement: Judgement,
): InspectReport {
  const platforms = judgement.platforms ?? [];
  const signedDigest = judgement.signedDigest ?? null;
  let signedBy: SignatureCarrier | null = null;
  if (signedDigest !== null)
    signedBy =
      signedDigest === digest
        ? 'Digest'
        : platforms.some((p) => p.digest === signedDigest)
          ? 'Platforms'
          : 'Index';
  return {
    image: base.image,
    repository: base.repository,
    tag: base.tag,
    digest,
    mediaType,
    signatureRepository: base.signatureRepository,
    trustedRoot: base.trustedRoot,
    posture: judgement.posture,
    signers: judgement.signers,
    location: judgement.location ?? null,
    signedDigest,
    signedBy,
    checkingReason: judgement.checkingReason ?? null,
    detail: judgement.detail ?? null,
    note: judgement.note ?? null,
    platforms,
    exitCode: INSPECT_EXIT_CODES[judgement.posture],
  };
}

const GITHUB_CLAIM_LABELS = {
  workflowRepository: 'repository',
  workflowRef: 'ref',
  workflowName: 'workflow',
  workflowTrigger: 'trigger',
  workflowSha: 'sha',
} as const;

const signedByText = (by: SignatureCarrier, digest: string): string =>
  by === 'Digest'
    ? `this digest (${digest})`
    : by === 'Index'
      ? `the index it was pulled through (${digest})`
      : 'each platform manifest, on its own (see platforms)';

/** The report as aligned `label: value` lines, every untrusted value escaped. */
export function renderTable(r: InspectReport): string {
  const rows: [string, string][] = [];
  const row = (label: string, value: string | null): void => {
    if (value !== null) rows.push([label, value]);
  };
  const safe = (value: string | null, max = 1024): string | null =>
    value === null ? null : escapeUntrusted(value, max);
  row('image', safe(r.image, 300));
  row('repository', safe(r.repository, 300));
  row('tag', safe(r.tag));
  row('digest', r.digest);
  row('media type', safe(r.mediaType, 100));
  row('signatures from', safe(r.signatureRepository, 300));
  row('trusted root', safe(r.trustedRoot, 300));
  row('posture', r.posture);
  for (const signer of r.signers) {
    if (signer.kind === 'Key') {
      row('signer', `key ${signer.fingerprint}`);
      continue;
    }
    row('signer', escapeUntrusted(signer.identity, 1024));
    row('  issuer', escapeUntrusted(signer.issuer, 1024));
    const claims: string[] = [];
    for (const [claim, label] of Object.entries(GITHUB_CLAIM_LABELS)) {
      const value = signer.github?.[claim as keyof typeof GITHUB_CLAIM_LABELS];
      if (value !== undefined) claims.push(`${label}=${escapeUntrusted(value, 300)}`);
    }
    if (claims.length > 0) row('  github', claims.join(' '));
  }
  row('location', r.location);
  if (r.signedBy !== null && r.signedDigest !== null)
    row('signature on', signedByText(r.signedBy, r.signedDigest));
  row('checking reason', r.checkingReason);
  row('detail', safe(r.detail));
  row('note', safe(r.note));
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const lines = rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`);
  if (r.platforms.length > 0) {
    lines.push('platforms:');
    const names = r.platforms.map((p) => escapeUntrusted(p.platform ?? '(no platform)', 60));
    const nameWidth = Math.max(...names.map((n) => n.length)) + 2;
    r.platforms.forEach((p, i) => {
      const on = p.signedDigest === undefined || p.signedDigest === p.digest ? '' : ` (on ${p.signedDigest})`;
      lines.push(`  ${(names[i] ?? '').padEnd(nameWidth)}${p.digest}  ${p.posture}${on}`);
    });
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The report as one line of JSON. Characters that can disguise text on a terminal (controls,
 * bidi overrides, zero-width, line separators) are written as \u escapes: the same JSON values.
 */
export function renderJson(r: InspectReport): string {
  const text = JSON.stringify(r).replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) =>
    [...Array(c.length).keys()].map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
  return `${text}\n`;
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ');

/** `signwarden inspect IMAGE ...`: exit 0 Signed/KeySigned, 3 Unsigned, 4 Unverifiable, 5 Invalid, 6 Checking. */
export async function inspectCommand(argv: string[], io: CommandIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(`Usage: ${INSPECT_USAGE}\n`);
    return 0;
  }
  try {
    const request = await requestFromArgs(argv);
    const result = await inspectImage(request);
    io.stdout(request.output === 'json' ? renderJson(result) : renderTable(result));
    return result.exitCode;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`signwarden inspect: ${oneLine(error.message)} (usage: ${INSPECT_USAGE})\n`);
      return EXIT_USAGE;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`signwarden inspect: ${escapeUntrusted(oneLine(message), 500)}\n`);
    return EXIT_UNEXPECTED;
  }
}
