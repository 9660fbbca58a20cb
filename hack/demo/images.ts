// The demo's images and who signs them: a private test Sigstore for keyless signatures (a "release
// workflow" identity and others), a cosign key pair, and a registry to push them to. Everything
// here lives in temporary directories removed by remove(), or when the process exits.
import { cosignKeyPair, cosignSign } from '../../test/e2e/harness/signing/cosign.ts';
import type { CosignKeyPair } from '../../test/e2e/harness/signing/cosign.ts';
import type { LeafOptions } from '../../test/e2e/harness/signing/fulcio.ts';
import type { Image } from '../../test/e2e/harness/signing/publish.ts';
import { publishBundle, pushRandomImage } from '../../test/e2e/harness/signing/publish.ts';
import { createTestSigstore } from '../../test/e2e/harness/signing/test-sigstore.ts';
import type { Signer, TestSigstore } from '../../test/e2e/harness/signing/test-sigstore.ts';

export type { Image };

export const GITHUB_ACTIONS = 'https://token.actions.githubusercontent.com';

/** A GitHub Actions workflow identity: `https://github.com/OWNER/REPO/.github/workflows/FILE@REF`. */
export const workflow = (repository: string, file: string, ref: string): LeafOptions => ({
  subject: `https://github.com/${repository}/.github/workflows/${file}@${ref}`,
  issuer: GITHUB_ACTIONS,
});

export type Signing = {
  /** The test Sigstore's trusted_root.json, for the operator's --trusted-root. */
  trustedRoot: string;
  key: CosignKeyPair;
  /** Pushes a new image to `repository` and signs it keyless as `signer` (a Sigstore bundle, as cosign v3). */
  keyless(repository: string, signer: Signer): Promise<Image>;
  /** Pushes a new image to `repository` and signs it with the cosign key (`cosign sign --key`). */
  keySigned(repository: string): Promise<Image>;
  /** Pushes a new image to `repository`, unsigned. */
  unsigned(repository: string): Promise<Image>;
  remove(): Promise<void>;
};

export async function createSigning(registryHost: string): Promise<Signing> {
  let sigstore: TestSigstore | undefined;
  let key: CosignKeyPair | undefined;
  const remove = async () => {
    await Promise.all([sigstore?.remove(), key?.remove()]);
  };
  try {
    [sigstore, key] = await Promise.all([createTestSigstore(), cosignKeyPair()]);
  } catch (err) {
    await remove();
    throw err;
  }
  const s = sigstore;
  const k = key;
  const unsigned = (repository: string) => pushRandomImage(registryHost, repository);
  return {
    trustedRoot: s.trustedRootPath,
    key: k,
    unsigned,
    keyless: async (repository, signer) => {
      const image = await unsigned(repository);
      await publishBundle(image, await s.signBundle({ digest: image.digest, signer }));
      return image;
    },
    keySigned: async (repository) => {
      const image = await unsigned(repository);
      await cosignSign(image.ref, { key: k, format: 'bundle' });
      return image;
    },
    remove,
  };
}
