// @sigstore/core (4.0.x) keeps a certificate as its parsed ASN.1 tree and re-encodes it to DER on
// every equals(), verify() and publicKey read: the chain verifier compares and checks the same few
// certificates about a dozen times per keyless signature, which made the re-encoding most of the
// CPU of a verification. The certificates we hand to the library are never changed (its only
// mutation, in verifySCTs, happens on a clone: a fresh parse), so each encoding is computed once and
// kept on the object. What the library computes is unchanged, only not computed again; the proper
// fix (equals/verify over the parsed bytes) belongs upstream. The versions are pinned exactly and
// certificate-memo.test.ts checks the internals this relies on.
import type { ASN1Obj, X509Certificate } from '@sigstore/core';
import type { TrustMaterial } from '@sigstore/verify';

const memoized = new WeakSet<ASN1Obj>();
const remembering = new WeakSet<X509Certificate>();

/** Makes every node of `cert`'s ASN.1 tree encode itself once. Returns `cert`. */
export function memoizeCertificate(cert: X509Certificate): X509Certificate {
  memoizeTree(cert.root);
  return cert;
}

function memoizeTree(node: ASN1Obj): void {
  if (memoized.has(node)) return;
  // Children first: a parent's encoding is made of its children's.
  for (const sub of node.subs) memoizeTree(sub);
  const encode = node.toDER.bind(node);
  let der: Buffer | undefined;
  Object.defineProperty(node, 'toDER', { value: (): Buffer => (der ??= encode()) });
  memoized.add(node);
}

/**
 * The CA certificates of a trusted root, encoded once, and the signatures between them checked
 * once: every keyless verification checks the root's self-signature and each intermediate's
 * signature by its issuer again, always over the same immutable bytes with the same keys. Only
 * certificates of the root are remembered as issuers (by identity), so a leaf from a bundle is
 * always checked for real.
 */
export function memoizeTrustMaterial(material: TrustMaterial): void {
  const trusted = new Set<X509Certificate>();
  for (const authority of [...material.certificateAuthorities, ...material.timestampAuthorities])
    for (const cert of authority.certChain) trusted.add(memoizeCertificate(cert));
  for (const cert of trusted) {
    if (remembering.has(cert)) continue;
    remembering.add(cert);
    const verify = cert.verify.bind(cert);
    const verdicts = new Map<X509Certificate | undefined, boolean>();
    Object.defineProperty(cert, 'verify', {
      value: (issuer?: X509Certificate): boolean => {
        if (issuer !== undefined && !trusted.has(issuer)) return verify(issuer);
        let verdict = verdicts.get(issuer);
        if (verdict === undefined) verdicts.set(issuer, (verdict = verify(issuer)));
        return verdict;
      },
    });
  }
}
