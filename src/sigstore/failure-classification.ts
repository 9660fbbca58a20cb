// Turns a failure of @sigstore/verify into Invalid or Unverifiable (the boundary is documented in
// verification-result.ts). The verifier stops at the first failing check and says which kind of
// check it was (its error code); we then look at the trust anchors THAT check relied on:
//
//   code                               anchor looked at                 known → / unknown →
//   CERTIFICATE_ERROR (chain)          CA that issued the leaf          Invalid / Unverifiable
//   CERTIFICATE_ERROR (SCT)            CT logs of the leaf's SCTs       Invalid / Unverifiable
//   TIMESTAMP_ERROR (RFC 3161)         TSAs of the bundle's timestamps  Invalid / Unverifiable
//   TLOG_INCLUSION_PROMISE/PROOF_ERROR logs of the bundle's entries     Invalid / Unverifiable
//   TLOG_BODY_ERROR, SIGNATURE_ERROR,  (all earlier checks passed       Invalid
//   TLOG_MISSING_INCLUSION_ERROR,       against trusted anchors)
//   duplicates
//   fewer entries/timestamps/SCTs than the thresholds require       Unverifiable (not enough evidence)
//   PUBLIC_KEY_ERROR "key not found"   a key we do not hold             Unverifiable
//   an entry kind/version the library does not support, NOT_IMPLEMENTED_ERROR     Unverifiable
//   any other exception                                                   Unverifiable
//
// "Known" means named by our trusted root — regardless of validity periods: a certificate from
// a CA we trust that was not valid at the logged time is a failure against trusted material.
// The CA of a leaf is recognised by its authority key identifier (the staging and public-good
// intermediates share a distinguished name, not a key), by issuer name only when the leaf has none.
//
// An exception that is not a VerificationError means the check did not complete (a key or
// algorithm Node cannot use, a library bug): nothing was shown to fail against trusted material,
// so it is not called forged; Unverifiable still never counts as signed (verification-result.ts).
import type { Bundle } from '@sigstore/bundle';
import { RFC3161Timestamp, X509Certificate } from '@sigstore/core';
import { VerificationError } from '@sigstore/verify';
import type { TrustRoot } from './trusted-root.ts';
import { escapeUntrusted } from './untrusted-text.ts';
import { invalid, unverifiable } from './verification-result.ts';
import type { FailedVerification } from './verification-result.ts';

/** The messages @sigstore/verify 4.x uses when a threshold is not met (pinned by the tests). */
const THRESHOLD_MESSAGE = /^expected \d+ (timestamps|tlog entries|SCTs), got \d+$/;

/** The leaf certificate of a bundle, if it is certificate-signed and the certificate parses. */
export function leafCertificate(bundle: Bundle): X509Certificate | undefined {
  const content = bundle.verificationMaterial.content;
  const raw =
    content.$case === 'certificate'
      ? content.certificate.rawBytes
      : content.$case === 'x509CertificateChain'
        ? content.x509CertificateChain.certificates[0]?.rawBytes
        : undefined;
  if (raw === undefined) return undefined;
  try {
    return X509Certificate.parse(Buffer.from(raw));
  } catch {
    return undefined;
  }
}

/** Whether a CA certificate of the trusted root is named as the issuer of `leaf`. */
export function issuedByTrustedCA(leaf: X509Certificate, trust: TrustRoot): boolean {
  const authorityKeyId = leaf.extAuthorityKeyID?.keyIdentifier;
  return trust.material.certificateAuthorities.some((ca) =>
    ca.certChain.some((caCert) => {
      const subjectKeyId = caCert.extSubjectKeyID?.keyIdentifier;
      return authorityKeyId && subjectKeyId
        ? subjectKeyId.equals(authorityKeyId)
        : caCert.subject.equals(leaf.issuer);
    }),
  );
}

function unknownLogs(bundle: Bundle, trust: TrustRoot): string[] {
  return bundle.verificationMaterial.tlogEntries
    .map((entry) => Buffer.from(entry.logId?.keyId ?? []))
    .filter((logId) => !trust.material.tlogs.some((tlog) => tlog.logID.equals(logId)))
    .map((logId) => logId.toString('hex').slice(0, 16));
}

function unknownCTLogs(leaf: X509Certificate | undefined, trust: TrustRoot): string[] {
  try {
    return (leaf?.extSCT?.signedCertificateTimestamps ?? [])
      .map((sct) => sct.logID)
      .filter((logId) => !trust.material.ctlogs.some((log) => log.logID.equals(logId)))
      .map((logId) => logId.toString('hex').slice(0, 16));
  } catch {
    return [];
  }
}

function unknownTimestampAuthorities(bundle: Bundle, trust: TrustRoot): number {
  let unknown = 0;
  for (const ts of bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []) {
    try {
      const timestamp = RFC3161Timestamp.parse(Buffer.from(ts.signedTimestamp));
      const known = trust.material.timestampAuthorities.some((tsa) => {
        const signer = tsa.certChain[0];
        return (
          signer !== undefined &&
          signer.serialNumber.equals(timestamp.signerSerialNumber) &&
          signer.issuer.equals(timestamp.signerIssuer)
        );
      });
      if (!known) unknown += 1;
    } catch {
      // An unparseable timestamp names no authority; the verifier's own error decides.
    }
  }
  return unknown;
}

const describe = (error: VerificationError): string => `${error.code}: ${escapeUntrusted(error.message)}`;

/** Invalid or Unverifiable for an error thrown while verifying `bundle` against `trust`. */
export function classifyVerificationFailure(
  error: unknown,
  bundle: Bundle,
  trust: TrustRoot,
): FailedVerification {
  if (!(error instanceof VerificationError)) {
    const name = error instanceof Error ? error.name : typeof error;
    const message = error instanceof Error ? error.message : String(error);
    return unverifiable(`verification could not complete (${name}: ${escapeUntrusted(message)})`);
  }
  const what = describe(error);
  if (THRESHOLD_MESSAGE.test(error.message))
    return unverifiable(`not enough evidence for the policy (${what})`);
  if (/^duplicate /.test(error.message)) return invalid(what);
  switch (error.code) {
    case 'CERTIFICATE_ERROR': {
      const leaf = leafCertificate(bundle);
      if (error.message === 'SCT verification failed') {
        const unknown = unknownCTLogs(leaf, trust);
        return unknown.length > 0
          ? unverifiable(
              `certificate timestamp from a CT log not in trusted root ${trust.source} (${unknown.join(', ')})`,
            )
          : invalid(`certificate transparency timestamp does not verify (${what})`);
      }
      if (leaf && !issuedByTrustedCA(leaf, trust)) {
        const keyId = leaf.extAuthorityKeyID?.keyIdentifier?.toString('hex');
        return unverifiable(
          `certificate issued by a CA not in trusted root ${trust.source}${keyId ? ` (authority key id ${keyId})` : ''}`,
        );
      }
      return invalid(`certificate does not chain to the trusted CA at the signing time (${what})`);
    }
    case 'TIMESTAMP_ERROR': {
      const unknown = unknownTimestampAuthorities(bundle, trust);
      return unknown > 0
        ? unverifiable(`timestamp from an authority not in trusted root ${trust.source}`)
        : invalid(`timestamp does not verify (${what})`);
    }
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_INCLUSION_PROOF_ERROR': {
      const unknown = unknownLogs(bundle, trust);
      return unknown.length > 0
        ? unverifiable(
            `transparency-log entry from a log not in trusted root ${trust.source} (${unknown.join(', ')})`,
          )
        : invalid(`transparency-log inclusion does not verify (${what})`);
    }
    case 'TLOG_BODY_ERROR':
      return /^unsupported /.test(error.message)
        ? unverifiable(`transparency-log entry of a kind we cannot check (${what})`)
        : invalid(`transparency-log entry does not match the signature (${what})`);
    case 'PUBLIC_KEY_ERROR':
      return /^key not found/.test(error.message)
        ? unverifiable('signed with a key we do not hold')
        : invalid(`public key not valid at the signing time (${what})`);
    case 'NOT_IMPLEMENTED_ERROR':
      return unverifiable(`not supported by the verifier (${what})`);
    case 'SIGNATURE_ERROR':
      return invalid(`signature does not verify (${what})`);
    default:
      return invalid(what);
  }
}
