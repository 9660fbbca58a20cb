// Whether a verified signer is one we expect. Matching happens here, in our code, never in the
// library's policy: @sigstore/verify treats a string SAN as an unanchored regular expression, so
// `acme` would match `https://github.com/acme/x` and `https://evil.example/acme`. Here the issuer
// is compared exactly, the subject exactly or by a pattern anchored at both ends, and each GitHub
// claim the policy names exactly.
import { compileAnchored } from '../core/anchored-pattern.ts';
import type { GithubClaims, VerifiedSigner } from '../core/observation.ts';
import { checkUntrustedText, quoteUntrusted } from './untrusted-text.ts';

/** A policy as pins and the command line state it. */
export type SignerPolicySpec =
  | {
      kind: 'Keyless';
      issuer: string;
      /** Exactly one of `subject` and `subjectRegExp`. */
      subject?: string;
      subjectRegExp?: string;
      github?: GithubClaims;
    }
  | { kind: 'Key'; fingerprint: string };

export type SignerPolicy =
  | {
      kind: 'Keyless';
      issuer: string;
      subject: { exact: string } | { pattern: RegExp; source: string };
      github: GithubClaims;
    }
  | { kind: 'Key'; fingerprint: string };

export type PolicyMatch = { matched: true } | { matched: false; reason: string };

const GITHUB_CLAIM_KEYS: (keyof GithubClaims)[] = [
  'workflowRepository',
  'workflowRef',
  'workflowTrigger',
  'workflowName',
  'workflowSha',
];

/** Compiles a policy, or says why it cannot be used (a pattern that does not compile, a missing field). */
export function compileSignerPolicy(spec: SignerPolicySpec): SignerPolicy | { error: string } {
  if (spec.kind === 'Key') {
    const fingerprint = spec.fingerprint.toLowerCase();
    if (!/^sha256:[0-9a-f]{64}$/.test(fingerprint))
      return { error: 'a key fingerprint is sha256:<64 hex digits>' };
    return { kind: 'Key', fingerprint };
  }
  if (spec.issuer === '') return { error: 'a keyless policy needs an issuer' };
  if ((spec.subject === undefined) === (spec.subjectRegExp === undefined))
    return { error: 'a keyless policy needs exactly one of subject and subjectRegExp' };
  let subject: Extract<SignerPolicy, { kind: 'Keyless' }>['subject'];
  if (spec.subjectRegExp !== undefined) {
    const pattern = compileAnchored(spec.subjectRegExp);
    if (!(pattern instanceof RegExp)) return { error: `subject pattern does not compile: ${pattern.error}` };
    subject = { pattern, source: spec.subjectRegExp };
  } else {
    subject = { exact: spec.subject ?? '' };
  }
  return { kind: 'Keyless', issuer: spec.issuer, subject, github: { ...spec.github } };
}

/** Whether `signer` satisfies `policy`, and if not, why (untrusted values quoted). */
export function matchSigner(signer: VerifiedSigner, policy: SignerPolicy): PolicyMatch {
  if (policy.kind === 'Key') {
    if (signer.kind !== 'Key')
      return { matched: false, reason: 'expected a key signature, got a keyless one' };
    return signer.fingerprint.toLowerCase() === policy.fingerprint
      ? { matched: true }
      : { matched: false, reason: `signed by key ${signer.fingerprint}, expected ${policy.fingerprint}` };
  }
  if (signer.kind !== 'Keyless')
    return { matched: false, reason: 'expected a keyless signature, got a key signature' };
  // Defence in depth: extraction already refuses such identities, but a policy never matches one.
  for (const [what, value] of [
    ['identity', signer.identity],
    ['issuer', signer.issuer],
  ] as const) {
    const checked = checkUntrustedText(value);
    if (typeof checked !== 'string') return { matched: false, reason: `signer ${what} ${checked.error}` };
  }
  if (signer.issuer !== policy.issuer)
    return {
      matched: false,
      reason: `issuer ${quoteUntrusted(signer.issuer)} is not ${quoteUntrusted(policy.issuer)}`,
    };
  const subject = policy.subject;
  if ('exact' in subject ? signer.identity !== subject.exact : !subject.pattern.test(signer.identity))
    return {
      matched: false,
      reason:
        'exact' in subject
          ? `identity ${quoteUntrusted(signer.identity)} is not ${quoteUntrusted(subject.exact)}`
          : `identity ${quoteUntrusted(signer.identity)} does not match ^(?:${subject.source})$`,
    };
  for (const key of GITHUB_CLAIM_KEYS) {
    const expected = policy.github[key];
    if (expected === undefined) continue;
    const actual = signer.github?.[key];
    if (actual !== expected)
      return {
        matched: false,
        reason: `GitHub claim ${key} is ${actual === undefined ? 'absent' : quoteUntrusted(actual)}, expected ${quoteUntrusted(expected)}`,
      };
  }
  return { matched: true };
}

/** Whether `signer` satisfies any of `policies` (e.g. the signers of a pin). */
export function matchAnySigner(signer: VerifiedSigner, policies: readonly SignerPolicy[]): PolicyMatch {
  const reasons: string[] = [];
  for (const policy of policies) {
    const match = matchSigner(signer, policy);
    if (match.matched) return match;
    reasons.push(match.reason);
  }
  return { matched: false, reason: reasons.length === 0 ? 'no acceptable signers' : reasons.join('; ') };
}
