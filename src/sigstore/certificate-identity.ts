// Who a Fulcio certificate says signed: the subject alternative name, the OIDC issuer and the CI
// claims Fulcio copied from the OIDC token. Every value is attacker-influenced text: it is decoded
// strictly (no lossy ASCII), bounded and refused when it contains control or invisible characters.
// Read this only from a certificate the verifier has already chained to a trusted CA.
import { ASN1Obj } from '@sigstore/core';
import type { X509Certificate } from '@sigstore/core';
import type { GithubClaims, VerifiedSigner } from '../core/observation.ts';
import { decodeUntrustedAscii, decodeUntrustedText } from './untrusted-text.ts';

const FULCIO = '1.3.6.1.4.1.57264.1';

/** Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). */
export const FULCIO_OID = {
  /** Deprecated raw-bytes extensions (.1.1–.1.6). */
  issuerV1: `${FULCIO}.1`,
  githubWorkflowTrigger: `${FULCIO}.2`,
  githubWorkflowSha: `${FULCIO}.3`,
  githubWorkflowName: `${FULCIO}.4`,
  githubWorkflowRepository: `${FULCIO}.5`,
  githubWorkflowRef: `${FULCIO}.6`,
  /** otherName SAN type used for usernames. */
  otherNameSan: `${FULCIO}.7`,
  /** DER UTF8String extensions (.1.8 and later). */
  issuerV2: `${FULCIO}.8`,
  buildSignerUri: `${FULCIO}.9`,
  runnerEnvironment: `${FULCIO}.11`,
  sourceRepositoryUri: `${FULCIO}.12`,
  sourceRepositoryDigest: `${FULCIO}.13`,
  sourceRepositoryRef: `${FULCIO}.14`,
  buildTrigger: `${FULCIO}.20`,
  runInvocationUri: `${FULCIO}.21`,
} as const;

export const OID_SUBJECT_ALT_NAME = '2.5.29.17';
export const OID_EXTENDED_KEY_USAGE = '2.5.29.37';
export const OID_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/** Build claims of the current (DER) Fulcio extensions, where present and acceptable. */
export interface FulcioClaims {
  buildSignerUri?: string;
  runnerEnvironment?: string;
  sourceRepositoryUri?: string;
  sourceRepositoryDigest?: string;
  sourceRepositoryRef?: string;
  buildTrigger?: string;
  runInvocationUri?: string;
}

export interface CertificateIdentity {
  /** The certificate identity (SAN): a URI, an email address or a Fulcio username. */
  subjectAlternativeName: string;
  sanType: 'uri' | 'email' | 'username';
  /** OIDC issuer (extension .1.8, falling back to .1.1). */
  issuer: string;
  claims: FulcioClaims;
  /** GitHub Actions workflow claims, for certificates issued to a GitHub Actions workflow. */
  github?: GithubClaims;
}

// Bounds of the GitHub claims as the custom resources store them (src/api/signer.ts); a longer
// value is dropped rather than truncated, so a truncated claim can never match a pin.
const GITHUB_CLAIM_LIMITS: Record<keyof GithubClaims, number> = {
  workflowRepository: 256,
  workflowRef: 512,
  workflowTrigger: 64,
  workflowName: 256,
  workflowSha: 128,
};

/** The extension values of a certificate by OID, in order of appearance (duplicates kept, to be refused). */
function extensionValues(cert: X509Certificate): Map<string, Buffer[]> {
  const values = new Map<string, Buffer[]>();
  for (const extension of cert.extensions) {
    const oid = extension.subs[0]?.toOID();
    const value = extension.subs[extension.subs.length - 1]?.value;
    if (oid === undefined || value === undefined) continue;
    values.set(oid, [...(values.get(oid) ?? []), value]);
  }
  return values;
}

type Extensions = Map<string, Buffer[]>;

/** The single value of an extension; several copies of one extension are refused (RFC 5280 §4.2). */
function single(extensions: Extensions, oid: string): Buffer | undefined | { error: string } {
  const values = extensions.get(oid) ?? [];
  if (values.length > 1) return { error: `extension ${oid} appears ${values.length} times` };
  return values[0];
}

const isError = (value: unknown): value is { error: string } =>
  typeof value === 'object' && value !== null && 'error' in value;

/** A .1.8-style extension: the extnValue holds a DER UTF8String. */
function derUtf8(extensions: Extensions, oid: string): string | undefined | { error: string } {
  const raw = single(extensions, oid);
  if (raw === undefined || isError(raw)) return raw;
  let obj: ASN1Obj;
  try {
    obj = ASN1Obj.parseBuffer(Buffer.from(raw));
  } catch {
    return { error: `extension ${oid} is not DER` };
  }
  if (!obj.tag.isUniversal() || obj.tag.constructed || obj.tag.number !== 0x0c)
    return { error: `extension ${oid} is not a UTF8String` };
  const text = decodeUntrustedText(obj.value);
  return typeof text === 'string' ? text : { error: `extension ${oid} ${text.error}` };
}

/** A .1.1–.1.6-style extension: the extnValue holds the raw string bytes. */
function rawUtf8(extensions: Extensions, oid: string): string | undefined | { error: string } {
  const raw = single(extensions, oid);
  if (raw === undefined || isError(raw)) return raw;
  const text = decodeUntrustedText(raw);
  return typeof text === 'string' ? text : { error: `extension ${oid} ${text.error}` };
}

/** An optional claim: absent, or unacceptable (then dropped: an absent claim never matches a policy). */
const optional = (value: string | undefined | { error: string }): string | undefined =>
  typeof value === 'string' ? value : undefined;

interface San {
  value: string;
  type: CertificateIdentity['sanType'];
}

function subjectAlternativeName(extensions: Extensions): San | { error: string } {
  const raw = single(extensions, OID_SUBJECT_ALT_NAME);
  if (raw === undefined) return { error: 'certificate has no subject alternative name' };
  if (isError(raw)) return raw;
  let names: ASN1Obj;
  try {
    names = ASN1Obj.parseBuffer(Buffer.from(raw));
  } catch {
    return { error: 'subject alternative name is not DER' };
  }
  const found: San[] = [];
  for (const name of names.subs) {
    const tag = name.tag;
    let decoded: string | { error: string } | undefined;
    let type: San['type'] | undefined;
    if (tag.isContextSpecific(1) && !tag.constructed) {
      [decoded, type] = [decodeUntrustedAscii(name.value), 'email'];
    } else if (tag.isContextSpecific(6) && !tag.constructed) {
      [decoded, type] = [decodeUntrustedAscii(name.value), 'uri'];
    } else if (tag.isContextSpecific(0) && tag.constructed) {
      // otherName: type-id OID, then [0] EXPLICIT UTF8String for Fulcio's username SAN.
      let oid: string | undefined;
      try {
        oid = name.subs[0]?.toOID();
      } catch {
        oid = undefined;
      }
      const inner = name.subs[1]?.subs[0];
      if (oid === FULCIO_OID.otherNameSan && inner?.tag.isUniversal() && inner.tag.number === 0x0c)
        [decoded, type] = [decodeUntrustedText(inner.value), 'username'];
    }
    if (decoded === undefined || type === undefined) continue;
    if (typeof decoded !== 'string') return { error: `subject alternative name ${decoded.error}` };
    found.push({ value: decoded, type });
  }
  const [first, ...rest] = found;
  if (first === undefined) return { error: 'certificate has no URI, email or username identity' };
  if (rest.length > 0) return { error: `certificate carries ${found.length} identities, expected one` };
  return first;
}

function oidcIssuer(extensions: Extensions): string | { error: string } {
  const v2 = derUtf8(extensions, FULCIO_OID.issuerV2);
  if (typeof v2 === 'string' || isError(v2)) return v2;
  const v1 = rawUtf8(extensions, FULCIO_OID.issuerV1);
  if (typeof v1 === 'string' || isError(v1)) return v1;
  return { error: 'certificate has no OIDC issuer extension' };
}

/** `https://github.com/owner/name` → `owner/name`; anything else → undefined. */
function repositoryFromUri(uri: string | undefined): string | undefined {
  if (uri === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  const segments = url.pathname.split('/').filter((s) => s !== '');
  return url.protocol === 'https:' && segments.length === 2 && !url.search && !url.hash
    ? segments.join('/')
    : undefined;
}

function githubClaims(
  extensions: Extensions,
  issuer: string,
  claims: FulcioClaims,
): GithubClaims | undefined {
  const legacy = {
    workflowTrigger: optional(rawUtf8(extensions, FULCIO_OID.githubWorkflowTrigger)),
    workflowSha: optional(rawUtf8(extensions, FULCIO_OID.githubWorkflowSha)),
    workflowName: optional(rawUtf8(extensions, FULCIO_OID.githubWorkflowName)),
    workflowRepository: optional(rawUtf8(extensions, FULCIO_OID.githubWorkflowRepository)),
    workflowRef: optional(rawUtf8(extensions, FULCIO_OID.githubWorkflowRef)),
  };
  const hasLegacy = Object.values(legacy).some((v) => v !== undefined);
  if (issuer !== GITHUB_ACTIONS_ISSUER && !hasLegacy) return undefined;
  // The current extensions first, the deprecated GitHub-specific ones as fallback.
  const merged: GithubClaims = {
    workflowRepository: repositoryFromUri(claims.sourceRepositoryUri) ?? legacy.workflowRepository,
    workflowRef: claims.sourceRepositoryRef ?? legacy.workflowRef,
    workflowTrigger: claims.buildTrigger ?? legacy.workflowTrigger,
    workflowName: legacy.workflowName,
    workflowSha: claims.sourceRepositoryDigest ?? legacy.workflowSha,
  };
  const result: GithubClaims = {};
  for (const key of Object.keys(GITHUB_CLAIM_LIMITS) as (keyof GithubClaims)[]) {
    const value = merged[key];
    if (value !== undefined && value.length <= GITHUB_CLAIM_LIMITS[key]) result[key] = value;
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

/** Reads the signer identity of a Fulcio leaf certificate, or says why it cannot be represented. */
export function certificateIdentity(cert: X509Certificate): CertificateIdentity | { error: string } {
  let extensions: Extensions;
  try {
    extensions = extensionValues(cert);
  } catch {
    return { error: 'certificate extensions do not parse' };
  }
  const san = subjectAlternativeName(extensions);
  if ('error' in san) return san;
  const issuer = oidcIssuer(extensions);
  if (typeof issuer !== 'string') return { error: `OIDC issuer: ${issuer.error}` };
  const claims: FulcioClaims = {};
  const claimOids = {
    buildSignerUri: FULCIO_OID.buildSignerUri,
    runnerEnvironment: FULCIO_OID.runnerEnvironment,
    sourceRepositoryUri: FULCIO_OID.sourceRepositoryUri,
    sourceRepositoryDigest: FULCIO_OID.sourceRepositoryDigest,
    sourceRepositoryRef: FULCIO_OID.sourceRepositoryRef,
    buildTrigger: FULCIO_OID.buildTrigger,
    runInvocationUri: FULCIO_OID.runInvocationUri,
  } satisfies Record<keyof FulcioClaims, string>;
  for (const [key, oid] of Object.entries(claimOids) as [keyof FulcioClaims, string][]) {
    const value = optional(derUtf8(extensions, oid));
    if (value !== undefined) claims[key] = value;
  }
  const github = githubClaims(extensions, issuer, claims);
  return {
    subjectAlternativeName: san.value,
    sanType: san.type,
    issuer,
    claims,
    ...(github ? { github } : {}),
  };
}

/** Whether the certificate's extended key usage includes code signing (Fulcio always sets it). */
export function hasCodeSigningUsage(cert: X509Certificate): boolean {
  try {
    const raw = single(extensionValues(cert), OID_EXTENDED_KEY_USAGE);
    if (raw === undefined || isError(raw)) return false;
    const usages = ASN1Obj.parseBuffer(Buffer.from(raw));
    return usages.subs.some((usage) => usage.toOID() === OID_CODE_SIGNING);
  } catch {
    return false;
  }
}

/** The keyless signer a certificate identity stands for. */
export function keylessSigner(identity: CertificateIdentity): VerifiedSigner {
  return {
    kind: 'Keyless',
    identity: identity.subjectAlternativeName,
    issuer: identity.issuer,
    ...(identity.github ? { github: identity.github } : {}),
  };
}
