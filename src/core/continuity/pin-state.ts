// A SignaturePin as the decision function uses it: what it expects, in words, and whether a verified
// signer is one of its signers (matched by identity-policy.ts: issuer exact, subject exact or by an
// anchored pattern, GitHub claims exact). A signer that cannot be compiled (a bad pattern, a key
// that could not be read) accepts nothing: the pin still guards its repositories, failing closed,
// and the pin's Ready condition says why.
import type { Signer } from '../../api/signer.ts';
import { compileSignerPolicy, matchAnySigner } from '../../sigstore/identity-policy.ts';
import type { SignerPolicy } from '../../sigstore/identity-policy.ts';
import type { PinState } from './decide.ts';

/** `keyFingerprint(i)` is the fingerprint of the key of signer `i`, if it could be read. */
export function pinState(
  name: string,
  signers: readonly Signer[],
  keyFingerprint: (index: number) => string | undefined,
): PinState {
  const policies: SignerPolicy[] = [];
  const expected: string[] = [];
  for (const [index, signer] of signers.entries()) {
    if (signer.keyless) {
      const { issuer, subject, subjectRegExp, github } = signer.keyless;
      expected.push(`${subject ?? `^(?:${subjectRegExp ?? ''})$`} (issuer ${issuer})`);
      const policy = compileSignerPolicy({
        kind: 'Keyless',
        issuer,
        ...(subject !== undefined ? { subject } : {}),
        ...(subjectRegExp !== undefined ? { subjectRegExp } : {}),
        ...(github ? { github } : {}),
      });
      if (!('error' in policy)) policies.push(policy);
    } else {
      const fingerprint = keyFingerprint(index);
      expected.push(fingerprint ? `key ${fingerprint}` : 'a key that could not be read');
      const policy = fingerprint ? compileSignerPolicy({ kind: 'Key', fingerprint }) : undefined;
      if (policy && !('error' in policy)) policies.push(policy);
    }
  }
  return { name, expected, accepts: (signer) => matchAnySigner(signer, policies).matched };
}
