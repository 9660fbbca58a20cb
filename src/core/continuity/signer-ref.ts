// Signers as continuity records and compares them: keyless by canonical identity and issuer, keys
// by fingerprint.
import type { VerifiedSigner } from '../observation.ts';
import { canonicalIdentity } from './canonical-identity.ts';

export type SignerRef =
  { kind: 'Keyless'; identity: string; issuer: string } | { kind: 'Key'; fingerprint: string };

export function signerRef(signer: VerifiedSigner): SignerRef {
  return signer.kind === 'Keyless'
    ? { kind: 'Keyless', identity: canonicalIdentity(signer.identity), issuer: signer.issuer }
    : { kind: 'Key', fingerprint: signer.fingerprint };
}

export const sameSigner = (a: SignerRef, b: SignerRef): boolean =>
  a.kind === 'Keyless'
    ? b.kind === 'Keyless' && a.identity === b.identity && a.issuer === b.issuer
    : b.kind === 'Key' && a.fingerprint === b.fingerprint;

/** One line for messages and findings: `identity (issuer)` or the key fingerprint. */
export const signerText = (s: SignerRef): string =>
  s.kind === 'Keyless' ? `${s.identity} (issuer ${s.issuer})` : `key ${s.fingerprint}`;
