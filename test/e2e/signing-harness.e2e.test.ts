// The signing harness produces real signatures: cosign's own, made with a key pair, and keyless ones
// from a test Sigstore made for the run, in both of cosign's formats, published in the run's
// registry as cosign publishes them. "Real" is proven by the verifiers themselves: cosign verify
// for both, and @sigstore/verify (the library the operator builds on) for the keyless ones.
import { X509Certificate, createPublicKey, randomBytes, verify as verifySignature } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';
import type { Signer as VerifiedSigner } from '@sigstore/verify';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { legacyLayerBundle } from '../../src/sigstore/legacy-cosign.ts';
import type { CosignKeyPair } from './harness/signing/cosign.ts';
import { cosignKeyPair, cosignSign, cosignVerify } from './harness/signing/cosign.ts';
import { fulcioOids } from './harness/signing/fulcio.ts';
import {
  cosignSignPredicateType,
  inTotoPayloadType,
  simpleSigningMediaType,
} from './harness/signing/payloads.ts';
import type { Image } from './harness/signing/publish.ts';
import {
  addToReferrersTag,
  bundleMediaType,
  copyImage,
  fetchBlob,
  fetchManifest,
  listReferrersTag,
  publishBundle,
  publishLegacySignature,
  pushMultiArchIndex,
  pushRandomImage,
  referrersTag,
  signatureTag,
} from './harness/signing/publish.ts';
import type {
  BundleSignOptions,
  BundleSignature,
  LegacySignOptions,
  LegacySignature,
  TestSigstore,
} from './harness/signing/test-sigstore.ts';
import {
  createTestSigstore,
  legacyAnnotations,
  withFlippedBundleSignature,
  withFlippedSignature,
} from './harness/signing/test-sigstore.ts';
import type { RekorBundle } from './harness/signing/transparency-log.ts';
import { githubIssuer, releaseSigner, releaseWorkflow } from './harness/signing/release-signer.ts';

const host = inject('registryHost');
const run = randomBytes(4).toString('hex');
const repo = (name: string) => `signing-harness-${run}/${name}`;

const workflow = releaseWorkflow;
const signer = releaseSigner;

/** A trusted root that trusts nothing: key-signed bundles need only the key. */
const emptyTrustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

async function signatureLayers(image: Image) {
  const sig = await fetchManifest(image.host, image.repository, signatureTag(image.digest));
  return sig?.json.layers ?? [];
}

describe('cosign with a key pair', () => {
  let key: CosignKeyPair;
  let otherKey: CosignKeyPair;
  beforeAll(async () => {
    [key, otherKey] = await Promise.all([cosignKeyPair(), cosignKeyPair()]);
  });
  afterAll(async () => {
    await Promise.all([key?.remove(), otherKey?.remove()]);
  });

  it('signs in the legacy format: a .sig tag that cosign verify accepts, with a real ECDSA signature', async () => {
    const image = await pushRandomImage(host, repo('cosign-legacy'));
    await cosignSign(image.ref, { key, format: 'legacy', annotations: { team: 'e2e' } });

    const [layer, ...more] = await signatureLayers(image);
    expect(more).toEqual([]);
    expect(layer?.mediaType).toBe(simpleSigningMediaType);
    expect(await listReferrersTag(image)).toEqual([]);
    // The signature is ECDSA P-256 over the payload blob, with the key cosign generated.
    const payload = await fetchBlob(host, image.repository, layer!.digest);
    const signature = Buffer.from(layer!.annotations![legacyAnnotations.signature]!, 'base64');
    expect(verifySignature('sha256', payload, createPublicKey(key.publicKeyPem), signature)).toBe(true);
    expect(JSON.parse(payload.toString())).toEqual({
      critical: {
        identity: { 'docker-reference': image.name },
        image: { 'docker-manifest-digest': image.digest },
        type: 'cosign container image signature',
      },
      optional: { team: 'e2e' },
    });

    const verified = await cosignVerify(image.ref, { key, format: 'legacy' });
    expect(verified.ok, verified.stderr).toBe(true);
    expect(verified.payloads.map((p) => p.critical.image['docker-manifest-digest'])).toEqual([image.digest]);
    expect((await cosignVerify(image.ref, { key: otherKey, format: 'legacy' })).code).not.toBe(0);
  });

  it('signs in the bundle format: a v0.3 bundle in an OCI referrer, listed in the referrers tag', async () => {
    const image = await pushRandomImage(host, repo('cosign-bundle'));
    await cosignSign(image.ref, { key, format: 'bundle' });

    expect(await signatureLayers(image)).toEqual([]);
    // The registry has no referrers API: cosign (go-containerregistry) keeps the tag index.
    const [referrer, ...more] = await listReferrersTag(image);
    expect(more).toEqual([]);
    expect(referrer?.artifactType).toBe(bundleMediaType);
    const artifact = await fetchManifest(host, image.repository, referrer!.digest);
    expect(artifact?.json.subject).toEqual(image.descriptor);
    expect(artifact?.json.config?.mediaType).toBe('application/vnd.oci.empty.v1+json');
    expect(artifact?.json.annotations?.['dev.sigstore.bundle.predicateType']).toBe(cosignSignPredicateType);
    const [layer] = artifact?.json.layers ?? [];
    expect(layer?.mediaType).toBe(bundleMediaType);
    const bundle = JSON.parse((await fetchBlob(host, image.repository, layer!.digest)).toString()) as {
      mediaType: string;
      verificationMaterial: { publicKey?: { hint: string } };
      dsseEnvelope: { payload: string; payloadType: string };
    };
    expect(bundle.mediaType).toBe(bundleMediaType);
    expect(bundle.verificationMaterial.publicKey).toBeDefined();
    expect(bundle.dsseEnvelope.payloadType).toBe(inTotoPayloadType);
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString()) as {
      subject: { digest: Record<string, string> }[];
      predicateType: string;
    };
    expect(statement.predicateType).toBe(cosignSignPredicateType);
    expect(statement.subject.map((s) => s.digest)).toEqual([
      { sha256: image.digest.slice('sha256:'.length) },
    ]);

    // @sigstore/verify agrees, given the public key under the bundle's hint.
    const keyVerifier = new Verifier(
      toTrustMaterial(TrustedRoot.fromJSON(emptyTrustedRoot), {
        [bundle.verificationMaterial.publicKey!.hint]: {
          rawBytes: createPublicKey(key.publicKeyPem).export({ type: 'spki', format: 'der' }),
          keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
        },
      }),
      { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 },
    );
    expect(() => keyVerifier.verify(toSignedEntity(bundleFromJSON(bundle)))).not.toThrow();

    const verified = await cosignVerify(image.ref, { key, format: 'bundle' });
    expect(verified.ok, verified.stderr).toBe(true);
    expect(verified.format).toBe('bundle');
    // No .sig tag: the legacy format finds nothing.
    expect((await cosignVerify(image.ref, { key, format: 'legacy' })).stderr).toMatch(/no signatures found/);
    expect((await cosignVerify(image.ref, { key: otherKey, format: 'bundle' })).code).not.toBe(0);
  });
});

// One test Sigstore for the keyless tests, and @sigstore/verify configured as the operator uses it
// for a private Sigstore without a CT log.
let sigstore: TestSigstore;
let verifier: Verifier;
beforeAll(async () => {
  sigstore = await createTestSigstore();
  verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(sigstore.trustedRoot)), {
    ctlogThreshold: 0,
    tlogThreshold: 1,
  });
});
afterAll(async () => {
  await sigstore?.remove();
});

/** Verifies a legacy layer expressed as a v0.1 bundle by the operator's own conversion. */
function verifyLegacy(signature: LegacySignature): VerifiedSigner {
  const converted = legacyLayerBundle(signature.layer, signature.payload);
  if ('error' in converted) throw new Error(converted.error);
  return verifier.verify(toSignedEntity(bundleFromJSON(converted.bundle), signature.payload));
}

function verifyBundle(signature: BundleSignature | string): VerifiedSigner {
  const json = typeof signature === 'string' ? signature : signature.json;
  return verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(json))));
}

/** The code and message of the verification error `fn` throws. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return `${(err as { code?: string }).code ?? ''}: ${(err as Error).message}`;
  }
  throw new Error('verification passed, but should have failed');
}

const digest = () => `sha256:${randomBytes(32).toString('hex')}`;

type SimpleSigning = {
  critical: { identity: { 'docker-reference': string }; image: { 'docker-manifest-digest': string } };
};
const simpleSigning = (payload: Buffer): SimpleSigning => JSON.parse(payload.toString()) as SimpleSigning;
const payloadDigest = (signature: LegacySignature): string =>
  simpleSigning(signature.payload).critical.image['docker-manifest-digest'];

const statementDigest = (signature: BundleSignature): string =>
  `sha256:${(JSON.parse(signature.statement.toString()) as { subject: { digest: { sha256: string } }[] }).subject[0]?.digest.sha256}`;

describe('test Sigstore: keyless signatures', () => {
  it('writes a trusted root that trusts its CA chain and its log', () => {
    const { trustedRoot, ca, log } = sigstore;
    expect(trustedRoot.certificateAuthorities).toHaveLength(1);
    expect(trustedRoot.certificateAuthorities[0]?.certChain.certificates.map((c) => c.rawBytes)).toEqual(
      [ca.intermediate.raw, ca.root.raw].map((der) => der.toString('base64')),
    );
    expect(trustedRoot.tlogs[0]?.logId.keyId).toBe(log.logId.toString('base64'));
    expect(trustedRoot.tlogs[0]?.publicKey.keyDetails).toBe('PKIX_ECDSA_P256_SHA_256');
    expect(ca.intermediate.verify(ca.root.publicKey)).toBe(true);
  });

  it('issues short-lived Fulcio-style leaves: SAN, issuer, GitHub claims, code signing', async () => {
    const leaf = await sigstore.issueLeaf(signer);
    expect(leaf.cert.subjectAltName).toBe(`URI:${workflow}`);
    expect(leaf.cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.3']);
    expect(leaf.cert.checkIssued(sigstore.ca.intermediate)).toBe(true);
    expect(leaf.cert.verify(sigstore.ca.intermediate.publicKey)).toBe(true);
    expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(10 * 60 * 1000);

    const signed = verifyLegacy(
      await sigstore.signLegacy({ repository: 'x/y', digest: digest(), signer: leaf }),
    );
    expect(signed.identity?.subjectAlternativeName).toBe(workflow);
    expect(signed.identity?.extensions?.issuer).toBe(githubIssuer);
    const oids = new Map(
      (signed.identity?.oids ?? []).map(({ oid, value }) => [oid?.id.join('.'), Buffer.from(value)]),
    );
    expect(oids.get(fulcioOids.issuerV1)?.toString()).toBe(githubIssuer);
    expect(oids.get(fulcioOids.githubWorkflowRepository)?.toString()).toBe('acme/app');
    expect(oids.get(fulcioOids.githubWorkflowRef)?.toString()).toBe('refs/heads/main');
    expect(oids.get(fulcioOids.githubWorkflowTrigger)?.toString()).toBe('push');
    // .1.8 is a DER UTF8String: tag 0x0c, length, value.
    expect(oids.get(fulcioOids.issuer)?.subarray(2).toString()).toBe(githubIssuer);

    const email = await sigstore.issueLeaf({
      subject: 'dev@example.com',
      issuer: 'https://accounts.google.com',
      eku: false,
    });
    expect(email.cert.subjectAltName).toBe('email:dev@example.com');
    expect(email.cert.keyUsage).toBeUndefined();
  });

  it('makes legacy signatures that @sigstore/verify accepts (as a v0.1 bundle with the SET)', async () => {
    const image = { repository: `${host}/${repo('keyless')}`, digest: digest() };
    const signature = await sigstore.signLegacy({ ...image, signer });
    expect(verifyLegacy(signature).identity?.subjectAlternativeName).toBe(workflow);
    expect(simpleSigning(signature.payload).critical.image['docker-manifest-digest']).toBe(image.digest);
    const annotations = signature.layer.annotations;
    expect(Object.keys(annotations).sort()).toEqual(Object.values(legacyAnnotations).sort());
    const rekor = JSON.parse(annotations[legacyAnnotations.bundle]!) as RekorBundle;
    expect(Object.keys(rekor)).toEqual(['SignedEntryTimestamp', 'Payload']);
    expect(Object.keys(rekor.Payload)).toEqual(['body', 'integratedTime', 'logIndex', 'logID']);
    expect(rekor.Payload.logID).toBe(sigstore.log.logId.toString('hex'));
    expect(rekor.Payload.logIndex).toBe(signature.entry.logIndex);
    expect(Buffer.from(rekor.Payload.body, 'base64')).toEqual(signature.entry.body);
    const chain = annotations[legacyAnnotations.chain]!.match(
      /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g,
    );
    expect(chain?.map((pem) => new X509Certificate(pem).fingerprint256)).toEqual(
      [sigstore.ca.intermediate, sigstore.ca.root].map((cert) => cert.fingerprint256),
    );
  });

  it('makes v0.3 bundles as cosign v3 does, with an inclusion proof that @sigstore/verify checks', async () => {
    const imageDigest = digest();
    const signature = await sigstore.signBundle({ digest: imageDigest, signer });
    expect(verifyBundle(signature).identity?.subjectAlternativeName).toBe(workflow);
    expect(JSON.parse(signature.statement.toString())).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ digest: { sha256: imageDigest.slice('sha256:'.length) }, annotations: {} }],
      predicateType: cosignSignPredicateType,
      predicate: {},
    });
    const [entry] = signature.bundle.verificationMaterial.tlogEntries;
    expect(entry?.kindVersion).toEqual({ kind: 'dsse', version: '0.0.1' });
    expect(Number(entry?.inclusionProof.treeSize)).toBe(signature.entry.logIndex + 1);

    // The inclusion proof is checked, not just carried: a checkpoint altered after the log signed it...
    const wrongRoot = structuredClone(signature.bundle);
    const proof = wrongRoot.verificationMaterial.tlogEntries[0]!.inclusionProof;
    proof.checkpoint.envelope = proof.checkpoint.envelope.replace(
      proof.rootHash,
      Buffer.alloc(32).toString('base64'),
    );
    expect(failure(() => verifyBundle(JSON.stringify(wrongRoot)))).toMatch(
      /TLOG_INCLUSION_PROOF_ERROR: invalid checkpoint signature/,
    );
    // ...and a v0.3 bundle needs it at all.
    const noProof = structuredClone(signature.bundle) as { verificationMaterial: { tlogEntries: object[] } };
    delete (noProof.verificationMaterial.tlogEntries[0] as { inclusionProof?: unknown }).inclusionProof;
    expect(() => verifyBundle(JSON.stringify(noProof))).toThrow(
      expect.objectContaining({ fields: ['verificationMaterial.tlogEntries[0].inclusionProof'] }),
    );
  });

  it('builds proofs in a growing log: later entries have longer audit paths', async () => {
    const signatures = [];
    for (let i = 0; i < 5; i++) signatures.push(await sigstore.signBundle({ digest: digest(), signer }));
    for (const signature of signatures) expect(() => verifyBundle(signature)).not.toThrow();
    const last = structuredClone(signatures.at(-1)!.bundle);
    const proof = last.verificationMaterial.tlogEntries[0]!.inclusionProof;
    expect(proof.hashes.length).toBeGreaterThan(0);
    // The audit path is what connects the entry to the signed root hash.
    proof.hashes[0] = Buffer.alloc(32).toString('base64');
    expect(failure(() => verifyBundle(JSON.stringify(last)))).toMatch(
      /TLOG_INCLUSION_PROOF_ERROR: calculated root hash does not match/,
    );
  });

  it('has tampered variants that fail verification', async () => {
    const imageDigest = digest();
    const repository = `${host}/${repo('keyless')}`;
    const legacy = await sigstore.signLegacy({ repository, digest: imageDigest, signer });
    const bundle = await sigstore.signBundle({ digest: imageDigest, signer });
    expect(failure(() => verifyLegacy(withFlippedSignature(legacy)))).toMatch(/TLOG_BODY_ERROR/);
    expect(failure(() => verifyBundle(withFlippedBundleSignature(bundle)))).toMatch(/TLOG_BODY_ERROR/);

    const untrustedCa = { ...signer, ca: 'untrusted' as const };
    const fromUntrustedCa = await sigstore.signLegacy({
      repository,
      digest: imageDigest,
      signer: untrustedCa,
    });
    expect(failure(() => verifyLegacy(fromUntrustedCa))).toMatch(/CERTIFICATE_ERROR/);
    const bundleFromUntrustedCa = await sigstore.signBundle({ digest: imageDigest, signer: untrustedCa });
    expect(failure(() => verifyBundle(bundleFromUntrustedCa))).toMatch(/CERTIFICATE_ERROR/);
    const inUntrustedLog = await sigstore.signBundle({ digest: imageDigest, signer, log: 'untrusted' });
    expect(failure(() => verifyBundle(inUntrustedLog))).toMatch(/TLOG_INCLUSION_PROMISE_ERROR/);

    // Signed for another digest: cryptographically valid, so only the digest check catches it.
    const other = await sigstore.signLegacy({
      repository,
      digest: imageDigest,
      claimedDigest: digest(),
      signer,
    });
    expect(() => verifyLegacy(other)).not.toThrow();
    expect(payloadDigest(other)).not.toBe(imageDigest);
    const otherBundle = await sigstore.signBundle({ digest: imageDigest, claimedDigest: digest(), signer });
    expect(() => verifyBundle(otherBundle)).not.toThrow();
    expect(statementDigest(otherBundle)).not.toBe(imageDigest);
  });

  it('judges a leaf at the integrated time: expired now is fine, used after expiry is not', async () => {
    const old = await sigstore.issueLeaf({ ...signer, notBefore: new Date(Date.now() - 60 * 60 * 1000) });
    expect(old.notAfter.getTime()).toBeLessThan(Date.now());
    const inTime = await sigstore.signBundle({ digest: digest(), signer: old });
    expect(() => verifyBundle(inTime)).not.toThrow();
    const late = await sigstore.signBundle({ digest: digest(), signer: old, integratedTime: new Date() });
    expect(failure(() => verifyBundle(late))).toMatch(/CERTIFICATE_ERROR/);
  });
});

describe('publishing signatures into the registry', () => {
  it('publishes legacy signatures in the .sig tag, one layer each, as cosign lays them out', async () => {
    const image = await pushRandomImage(host, repo('published'));
    const first = await sigstore.signLegacy({ repository: image.name, digest: image.digest, signer });
    const second = await sigstore.signLegacy({
      repository: image.name,
      digest: image.digest,
      signer: { subject: 'dev@example.com', issuer: 'https://accounts.google.com' },
    });
    await publishLegacySignature(image, first);
    await publishLegacySignature(image, second); // added to the first, as cosign does

    const manifest = await fetchManifest(host, image.repository, signatureTag(image.digest));
    expect(manifest?.descriptor.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    const layers = manifest?.json.layers ?? [];
    expect(layers).toEqual([first.layer, second.layer]);
    for (const [i, layer] of layers.entries()) {
      const payload = await fetchBlob(host, image.repository, layer.digest);
      const signer = verifyLegacy({
        ...[first, second][i]!,
        payload,
        layer: { ...layer, annotations: layer.annotations! },
      });
      expect(signer.identity?.subjectAlternativeName).toBe(i === 0 ? workflow : 'dev@example.com');
      expect(payloadDigest({ ...first, payload })).toBe(image.digest);
    }

    const docker = await pushRandomImage(host, repo('published'), { docker: true });
    await publishLegacySignature(
      docker,
      await sigstore.signLegacy({ repository: docker.name, digest: docker.digest, signer }),
      {
        docker: true,
      },
    );
    const dockerSignature = await fetchManifest(host, docker.repository, signatureTag(docker.digest));
    expect(dockerSignature?.json.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
  });

  it('publishes a v0.3 bundle as an OCI referrer, found through the referrers tag', async () => {
    const image = await pushRandomImage(host, repo('published'));
    const signature = await sigstore.signBundle({ digest: image.digest, signer });
    const referrer = await publishBundle(image, signature);

    expect(await listReferrersTag(image)).toEqual([
      {
        mediaType: referrer.mediaType,
        digest: referrer.digest,
        size: referrer.size,
        artifactType: bundleMediaType,
      },
    ]);
    const artifact = await fetchManifest(host, image.repository, referrer.digest);
    expect(artifact?.json).toMatchObject({
      artifactType: bundleMediaType,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', size: 2 },
      subject: image.descriptor,
      annotations: { 'dev.sigstore.bundle.predicateType': cosignSignPredicateType },
    });
    const [layer] = artifact?.json.layers ?? [];
    expect(layer?.mediaType).toBe(bundleMediaType);
    const published = (await fetchBlob(host, image.repository, layer!.digest)).toString();
    expect(published).toBe(signature.json);
    expect(verifyBundle(published).identity?.subjectAlternativeName).toBe(workflow);

    // A referrer pushed without the tag is invisible to a registry without the referrers API until
    // the tag lists it.
    const second = await publishBundle(image, await sigstore.signBundle({ digest: image.digest, signer }), {
      referrersTag: false,
    });
    expect((await listReferrersTag(image)).map((d) => d.digest)).toEqual([referrer.digest]);
    await addToReferrersTag(image, second);
    expect((await listReferrersTag(image)).map((d) => d.digest)).toEqual([referrer.digest, second.digest]);
    const tag = await fetchManifest(host, image.repository, referrersTag(image.digest));
    expect(tag?.descriptor.mediaType).toBe('application/vnd.oci.image.index.v1+json');
  });

  it('signs a multi-arch index and each platform image', async () => {
    const { index, platforms } = await pushMultiArchIndex(host, repo('multi-arch'));
    const listed = await fetchManifest(host, index.repository, index.digest);
    expect(listed?.json.manifests?.map((m) => m.digest)).toEqual(platforms.map((p) => p.digest));
    for (const image of [index, ...platforms]) {
      const signature = await sigstore.signBundle({ digest: image.digest, signer });
      await publishBundle(image, signature);
      await publishLegacySignature(
        image,
        await sigstore.signLegacy({ repository: image.name, digest: image.digest, signer }),
      );
      expect(statementDigest(signature)).toBe(image.digest);
      expect(await listReferrersTag(image)).toHaveLength(1);
      expect(await signatureLayers(image)).toHaveLength(1);
    }
  });

  it('replays a signature into another repository: same digest, the signature made for the first', async () => {
    const image = await pushRandomImage(host, repo('original'));
    const legacy = await sigstore.signLegacy({ repository: image.name, digest: image.digest, signer });
    const bundle = await sigstore.signBundle({ digest: image.digest, signer });
    await publishLegacySignature(image, legacy);
    await publishBundle(image, bundle);

    const copy = await copyImage(image, repo('replayed'));
    expect(copy.digest).toBe(image.digest);
    expect(copy.name).not.toBe(image.name);
    await publishLegacySignature(copy, legacy);
    await publishBundle(copy, bundle);

    const [layer] = await signatureLayers(copy);
    const payload = await fetchBlob(host, copy.repository, layer!.digest);
    // Both verify and name the digest: only the legacy payload's docker-reference tells the
    // repositories apart; the bundle's statement names no repository at all.
    expect(() => verifyLegacy({ ...legacy, payload })).not.toThrow();
    expect(simpleSigning(payload).critical.identity['docker-reference']).toBe(image.name);
    const [referrer] = await listReferrersTag(copy);
    const artifact = await fetchManifest(host, copy.repository, referrer!.digest);
    const published = await fetchBlob(host, copy.repository, artifact!.json.layers![0]!.digest);
    expect(() => verifyBundle(published.toString())).not.toThrow();
  });
});

describe("cosign verify with the test Sigstore's trusted root", () => {
  const keyless = () => ({ trustedRoot: sigstore.trustedRootPath, identity: workflow, issuer: githubIssuer });

  it('accepts keyless legacy signatures, offline', async () => {
    const image = await pushRandomImage(host, repo('cosign-keyless'));
    await publishLegacySignature(
      image,
      await sigstore.signLegacy({ repository: image.name, digest: image.digest, signer }),
    );
    const verified = await cosignVerify(image.ref, { ...keyless(), format: 'legacy' });
    expect(verified.ok, verified.stderr).toBe(true);
    expect(verified.payloads[0]?.critical.image['docker-manifest-digest']).toBe(image.digest);
    const otherIdentity = await cosignVerify(image.ref, {
      ...keyless(),
      identity: `${workflow}x`,
      format: 'legacy',
    });
    expect(otherIdentity.stderr).toMatch(/none of the expected identities matched/);
  });

  it('accepts keyless v0.3 bundles, offline', async () => {
    const image = await pushRandomImage(host, repo('cosign-keyless'));
    await publishBundle(image, await sigstore.signBundle({ digest: image.digest, signer }));
    const verified = await cosignVerify(image.ref, { ...keyless(), format: 'bundle' });
    expect(verified.ok, verified.stderr).toBe(true);
    expect(verified.format).toBe('bundle');
    const otherIssuer = await cosignVerify(image.ref, {
      ...keyless(),
      issuer: 'https://accounts.google.com',
      format: 'bundle',
    });
    expect(otherIssuer.stderr).toMatch(/expected issuer value "https:\/\/accounts.google.com"/);
  });

  it('rejects the tampered variants, each for its reason', async () => {
    const untrustedCa = { ...signer, ca: 'untrusted' as const };
    const legacy = (image: Image, opts: Partial<LegacySignOptions> = {}) =>
      sigstore.signLegacy({ repository: image.name, digest: image.digest, signer, ...opts });
    const bundle = (image: Image, opts: Partial<BundleSignOptions> = {}) =>
      sigstore.signBundle({ digest: image.digest, signer, ...opts });
    const cases: [string, (image: Image) => Promise<LegacySignature | BundleSignature>, RegExp][] = [
      [
        'legacy, flipped signature',
        async (image) => withFlippedSignature(await legacy(image)),
        /signature in bundle does not match signature being verified/,
      ],
      [
        'legacy, untrusted CA',
        (image) => legacy(image, { signer: untrustedCa }),
        /leaf certificate verification failed/,
      ],
      [
        'legacy, another digest',
        (image) => legacy(image, { claimedDigest: digest() }),
        /invalid or missing digest in claim/,
      ],
      [
        'bundle, flipped signature',
        async (image) => withFlippedBundleSignature(await bundle(image)),
        /transparency log signature does not match/,
      ],
      [
        'bundle, untrusted CA',
        (image) => bundle(image, { signer: untrustedCa }),
        /leaf certificate verification failed/,
      ],
      [
        'bundle, untrusted log',
        (image) => bundle(image, { log: 'untrusted' }),
        /not enough verified log entries from transparency log: 0 < 1/,
      ],
      [
        'bundle, another digest',
        (image) => bundle(image, { claimedDigest: digest() }),
        /artifact digest does not match any digest in statement/,
      ],
    ];
    for (const [name, sign, reason] of cases) {
      const image = await pushRandomImage(host, repo('cosign-tampered'));
      const signature = await sign(image);
      const format = 'payload' in signature ? 'legacy' : 'bundle';
      if ('payload' in signature) await publishLegacySignature(image, signature);
      else await publishBundle(image, signature);
      const result = await cosignVerify(image.ref, { ...keyless(), format });
      expect(result.code, name).not.toBe(0);
      expect(result.stderr, name).toMatch(reason);
    }
  });
});
