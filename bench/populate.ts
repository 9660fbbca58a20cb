// Fills a registry with the benchmark's images and signatures: every format and posture signwarden
// judges, in a fixed mix (seeded), spread over many repositories. Not measured.
//
// Key-signed images use one ECDSA P-256 key, made with node:crypto and imported into cosign
// (`cosign import-key-pair`). A few images of each key-signed format are signed by the cosign binary
// itself; the rest get byte-for-byte the same layout made here (cosign's legacy simple-signing layer
// with only the signature annotation; cosign v3's key-signed bundle v0.3: public-key hint, DSSE
// in-toto statement, no log entry), since one cosign process per image would take minutes. Both
// kinds are in the `cosign verify` sample, so cosign itself vouches that the layouts are equivalent.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dsse } from '@sigstore/core';
import { onExit } from '../test/e2e/harness/cleanup.ts';
import type { CosignKeyPair } from '../test/e2e/harness/signing/cosign.ts';
import { cosignSign, runCosign } from '../test/e2e/harness/signing/cosign.ts';
import type { Leaf } from '../test/e2e/harness/signing/fulcio.ts';
import {
  cosignSignStatement,
  inTotoPayloadType,
  simpleSigningMediaType,
  simpleSigningPayload,
} from '../test/e2e/harness/signing/payloads.ts';
import type { Image } from '../test/e2e/harness/signing/publish.ts';
import {
  bundleMediaType,
  publishBundle,
  publishLegacySignature,
  pushRandomImage,
} from '../test/e2e/harness/signing/publish.ts';
import type { LegacySignature, TestSigstore } from '../test/e2e/harness/signing/test-sigstore.ts';
import { createTestSigstore, legacyAnnotations } from '../test/e2e/harness/signing/test-sigstore.ts';
import { keyFingerprint } from '../src/sigstore/public-key.ts';
import type { Kind, Maker, PlannedDigest } from './plan.ts';
import { pool, seededRandom, shuffle } from './plan.ts';

export interface PopulateOptions {
  host: string;
  digests: number;
  repositories: number;
  /** Images per key-signed format signed by the cosign binary (the rest: node:crypto, same layout). */
  cosignSigned: number;
  seed: number;
  log: (line: string) => void;
}

export interface Population {
  digests: PlannedDigest[];
  trustedRootPath: string;
  publicKeyPath: string;
  /** Removes the test Sigstore and the key directory. */
  remove(): Promise<void>;
}

/** The mix, in thousandths of the digests; unsigned takes what is left. */
const MIX: Record<Exclude<Kind, 'unsigned'>, number> = {
  'keyless-legacy': 240,
  'keyless-bundle': 240,
  'key-legacy': 150,
  'key-bundle': 150,
  'invalid-keyless-legacy': 10,
  'invalid-keyless-bundle': 10,
  'invalid-key-legacy': 10,
  'unverifiable-legacy': 10,
  'unverifiable-bundle': 10,
};

const githubIssuer = 'https://token.actions.githubusercontent.com';
const workflow = (name: string): string =>
  `https://github.com/acme/${name}/.github/workflows/release.yml@refs/heads/main`;

export async function populate(opts: PopulateOptions): Promise<Population> {
  const random = seededRandom(opts.seed);
  const kinds: Kind[] = [];
  for (const [kind, share] of Object.entries(MIX) as [Kind, number][])
    kinds.push(...Array<Kind>(Math.round((share * opts.digests) / 1000)).fill(kind));
  kinds.push(...Array<Kind>(Math.max(0, opts.digests - kinds.length)).fill('unsigned'));
  shuffle(kinds, random);
  kinds.length = opts.digests;

  const [sigstore, key] = await Promise.all([createTestSigstore(), importedKeyPair()]);
  const fingerprint = keyFingerprint(key.publicKeyObject);
  // A handful of signers, as a cluster has a handful of release pipelines; leaves valid for an hour.
  const signers = await Promise.all(
    ['api', 'web', 'worker', 'billing'].map(async (name) => ({
      identity: workflow(name),
      leaf: await sigstore.issueLeaf({
        subject: workflow(name),
        issuer: githubIssuer,
        lifetimeSeconds: 3600,
      }),
    })),
  );
  const stranger = await sigstore.issueLeaf({
    subject: workflow('stranger'),
    issuer: githubIssuer,
    ca: 'untrusted',
    lifetimeSeconds: 3600,
  });

  const cosignLeft: Partial<Record<Kind, number>> = {
    'key-legacy': opts.cosignSigned,
    'key-bundle': opts.cosignSigned,
  };
  const planned: PlannedDigest[] = [];
  let done = 0;
  await pool(kinds, 12, async (kind, i) => {
    const repository = `bench/svc-${String(i % opts.repositories).padStart(3, '0')}`;
    const image = await pushRandomImage(opts.host, repository);
    const signer = signers[i % signers.length]!;
    let maker: Maker = 'none';
    if (kind.startsWith('key-')) {
      const byCosign = (cosignLeft[kind] ?? 0) > 0;
      if (byCosign) cosignLeft[kind]! -= 1;
      maker = byCosign ? 'cosign' : 'node-key';
    } else if (kind !== 'unsigned') maker = 'test-sigstore';
    await publish(sigstore, key, image, kind, maker, signer.leaf, stranger);
    planned[i] = {
      repository,
      digest: image.digest,
      kind,
      maker,
      expected: expectedOf(kind, signer.identity, fingerprint),
      ...(kind === 'keyless-legacy' || kind === 'keyless-bundle'
        ? { cosign: { identity: signer.identity, issuer: githubIssuer } }
        : kind === 'key-legacy' || kind === 'key-bundle'
          ? { cosign: { key: true as const } }
          : {}),
    };
    if (++done % 250 === 0) opts.log(`  ${done}/${kinds.length} images published`);
  });
  return {
    digests: planned,
    trustedRootPath: sigstore.trustedRootPath,
    publicKeyPath: key.publicKey,
    remove: async () => {
      await Promise.all([sigstore.remove(), key.remove()]);
    },
  };
}

function expectedOf(kind: Kind, identity: string, fingerprint: string): PlannedDigest['expected'] {
  switch (kind) {
    case 'keyless-legacy':
      return { posture: 'Signed', location: 'LegacySigTag', signer: identity };
    case 'keyless-bundle':
      return { posture: 'Signed', location: 'ReferrersTag', signer: identity };
    case 'key-legacy':
      return { posture: 'KeySigned', location: 'LegacySigTag', signer: fingerprint };
    case 'key-bundle':
      return { posture: 'KeySigned', location: 'ReferrersTag', signer: fingerprint };
    case 'unsigned':
      return { posture: 'Unsigned' };
    case 'invalid-keyless-legacy':
    case 'invalid-key-legacy':
      return { posture: 'Invalid', location: 'LegacySigTag' };
    case 'invalid-keyless-bundle':
      return { posture: 'Invalid', location: 'ReferrersTag' };
    case 'unverifiable-legacy':
      return { posture: 'Unverifiable', location: 'LegacySigTag' };
    case 'unverifiable-bundle':
      return { posture: 'Unverifiable', location: 'ReferrersTag' };
  }
}

const otherDigest = (): string => `sha256:${randomBytes(32).toString('hex')}`;

async function publish(
  sigstore: TestSigstore,
  key: ImportedKeyPair,
  image: Image,
  kind: Kind,
  maker: Maker,
  leaf: Leaf,
  stranger: Leaf,
): Promise<void> {
  const legacy = (signer: Leaf, claimedDigest?: string) =>
    sigstore.signLegacy({
      repository: image.name,
      digest: image.digest,
      signer,
      ...(claimedDigest ? { claimedDigest } : {}),
    });
  const bundle = (signer: Leaf, claimedDigest?: string) =>
    sigstore.signBundle({ digest: image.digest, signer, ...(claimedDigest ? { claimedDigest } : {}) });
  switch (kind) {
    case 'unsigned':
      return;
    case 'keyless-legacy':
      await publishLegacySignature(image, await legacy(leaf));
      return;
    case 'keyless-bundle':
      await publishBundle(image, await bundle(leaf));
      return;
    case 'invalid-keyless-legacy':
      await publishLegacySignature(image, await legacy(leaf, otherDigest()));
      return;
    case 'invalid-keyless-bundle':
      await publishBundle(image, await bundle(leaf, otherDigest()));
      return;
    case 'unverifiable-legacy':
      await publishLegacySignature(image, await legacy(stranger));
      return;
    case 'unverifiable-bundle':
      await publishBundle(image, await bundle(stranger));
      return;
    case 'invalid-key-legacy':
      await publishLegacySignature(image, keyLegacySignature(key.privateKeyObject, image, otherDigest()));
      return;
    case 'key-legacy':
    case 'key-bundle': {
      const format = kind === 'key-legacy' ? 'legacy' : 'bundle';
      if (maker === 'cosign') await cosignSign(image.ref, { key, format });
      else if (format === 'legacy')
        await publishLegacySignature(image, keyLegacySignature(key.privateKeyObject, image));
      else await publishBundle(image, keyBundleJson(key, image.digest));
      return;
    }
  }
}

/**
 * What `cosign sign --key --tlog-upload=false --new-bundle-format=false` pushes: a simple-signing
 * payload and one layer whose only annotation is the base64 ECDSA (SHA-256, DER) signature.
 */
function keyLegacySignature(privateKey: KeyObject, image: Image, claimedDigest?: string): LegacySignature {
  const payload = simpleSigningPayload(image.name, claimedDigest ?? image.digest);
  const signature = sign('sha256', payload, privateKey);
  const layer = {
    mediaType: simpleSigningMediaType,
    digest: `sha256:${createHash('sha256').update(payload).digest('hex')}`,
    size: payload.length,
    annotations: { [legacyAnnotations.signature]: signature.toString('base64') },
  };
  // publishLegacySignature reads only the payload and the layer; a key signature has no leaf or log entry.
  return { payload, layer, signature } as Pick<
    LegacySignature,
    'payload' | 'layer' | 'signature'
  > as LegacySignature;
}

/**
 * What `cosign sign --key --tlog-upload=false` (v3, bundle format) stores: a bundle v0.3 with the
 * key's hint (base64 SHA-256 of its SubjectPublicKeyInfo) and a DSSE envelope over cosign's in-toto
 * statement, fields in cosign's order.
 */
function keyBundleJson(key: ImportedKeyPair, digest: string): string {
  const statement = cosignSignStatement(digest);
  const sig = sign('sha256', dsse.preAuthEncoding(inTotoPayloadType, statement), key.privateKeyObject);
  return JSON.stringify({
    mediaType: bundleMediaType,
    verificationMaterial: { publicKey: { hint: key.hint } },
    dsseEnvelope: {
      payload: statement.toString('base64'),
      payloadType: inTotoPayloadType,
      signatures: [{ sig: sig.toString('base64') }],
    },
  });
}

type ImportedKeyPair = CosignKeyPair & {
  privateKeyObject: KeyObject;
  publicKeyObject: KeyObject;
  hint: string;
};

/** An ECDSA P-256 key pair made here, imported into cosign's encrypted format for `cosign sign`. */
async function importedKeyPair(): Promise<ImportedKeyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'signwarden-bench-key-'));
  const cancel = onExit(() => rmSync(dir, { recursive: true, force: true }));
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = join(dir, 'key.pem');
  await writeFile(pem, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const password = 'signwarden-bench';
  const prefix = join(dir, 'cosign');
  const imported = await runCosign(
    ['import-key-pair', '--key', pem, '--output-key-prefix', prefix, '--yes'],
    {
      env: { COSIGN_PASSWORD: password },
    },
  );
  if (imported.code !== 0) throw new Error(`cosign import-key-pair failed:\n${imported.stderr}`);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return {
    dir,
    privateKey: `${prefix}.key`,
    publicKey: `${prefix}.pub`,
    publicKeyPem: await readFile(`${prefix}.pub`, 'utf8'),
    password,
    privateKeyObject: privateKey,
    publicKeyObject: publicKey,
    hint: createHash('sha256').update(spki).digest('base64'),
    remove: async () => {
      cancel();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
