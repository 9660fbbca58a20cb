import { sign } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dsse } from '@sigstore/core';
import { onExit } from '../cleanup.ts';
import type { CertificateAuthority, Leaf, LeafOptions } from './fulcio.ts';
import { createCertificateAuthority } from './fulcio.ts';
import {
  cosignSignStatement,
  inTotoPayloadType,
  simpleSigningMediaType,
  simpleSigningPayload,
} from './payloads.ts';
import type { BundleTlogEntry, LogEntry, TransparencyLog } from './transparency-log.ts';
import { createTransparencyLog, sha256, toBundleTlogEntry, toRekorBundle } from './transparency-log.ts';

// A private Sigstore made for one test run: a Fulcio-like CA, a Rekor-like log and the
// trusted_root.json that trusts both. It makes real keyless signatures of container images, in
// cosign's legacy format (.sig layer annotations) and as cosign v3 makes them (a Sigstore bundle
// v0.3 with a DSSE in-toto statement), and their tampered variants. It also has a second CA and a
// second log with the same names, trusted by nothing, to sign what must not verify.

/** Who signs: a leaf already issued, or the options to issue one (from the trusted CA by default). */
export type Signer = Leaf | (LeafOptions & { ca?: 'trusted' | 'untrusted' });

type CommonSignOptions = {
  /** The manifest digest signed, sha256:<hex>. */
  digest: string;
  signer: Signer;
  /** The digest the payload names instead of `digest`: a valid signature for another image. */
  claimedDigest?: string;
  /**
   * When the log integrated the entry. Default: now, or the middle of the leaf's validity if now is
   * outside it (a leaf issued in the past).
   */
  integratedTime?: Date;
  /** The log that records the signature; 'untrusted' is one the trusted root does not list. */
  log?: 'trusted' | 'untrusted';
};

export type LegacySignOptions = CommonSignOptions & {
  /** The repository as in image references (127.0.0.1:PORT/name): the payload's docker-reference. */
  repository: string;
  /** The payload's docker-reference instead of `repository`. */
  claimedReference?: string;
  /** The payload's `optional` map (cosign's -a annotations); default null. */
  optional?: Record<string, string> | null;
  /** Whether to add the `dev.sigstore.cosign/chain` annotation (intermediate and root); default true. */
  chain?: boolean;
};

/** A legacy cosign signature: one layer of a `sha256-<hex>.sig` manifest. */
export type LegacySignature = {
  /** The signed simple-signing payload: the layer's blob. */
  payload: Buffer;
  /** The layer descriptor, with the cosign annotations. */
  layer: { mediaType: string; digest: string; size: number; annotations: Record<string, string> };
  signature: Buffer;
  leaf: Leaf;
  entry: LogEntry;
};

export type BundleSignOptions = CommonSignOptions & {
  /** Annotations of the statement's subject (cosign v3's -a key=value). */
  annotations?: Record<string, string>;
};

/** A Sigstore bundle v0.3 as `cosign sign` (v3) stores it in an OCI referrer. */
export type BundleSignature = {
  bundle: SerializedBundleV03;
  /** The bundle's JSON: the referrer's layer blob. */
  json: string;
  /** The in-toto statement signed (the DSSE payload). */
  statement: Buffer;
  leaf: Leaf;
  entry: LogEntry;
};

export type SerializedBundleV03 = {
  mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json';
  verificationMaterial: { certificate: { rawBytes: string }; tlogEntries: BundleTlogEntry[] };
  dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] };
};

/** A Sigstore TrustedRoot, protobuf-specs JSON (v0.1). */
export type TrustedRootJson = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';
  tlogs: TransparencyLogInstance[];
  certificateAuthorities: {
    subject: { organization: string; commonName: string };
    uri: string;
    certChain: { certificates: { rawBytes: string }[] };
    validFor: { start: string; end?: string };
  }[];
  ctlogs: TransparencyLogInstance[];
  timestampAuthorities: unknown[];
};

type TransparencyLogInstance = {
  baseUrl: string;
  hashAlgorithm: 'SHA2_256';
  publicKey: { rawBytes: string; keyDetails: 'PKIX_ECDSA_P256_SHA_256'; validFor: { start: string } };
  logId: { keyId: string };
};

export type TestSigstore = {
  dir: string;
  trustedRoot: TrustedRootJson;
  /** Path of trusted_root.json (for `cosign verify --trusted-root`, or for mounting). */
  trustedRootPath: string;
  /** https://fulcio.signwarden.test: only a name, nothing listens there. */
  fulcioUrl: string;
  /** https://rekor.signwarden.test: only a name, nothing listens there. */
  rekorUrl: string;
  ca: CertificateAuthority;
  /** Same distinguished names as `ca`, other keys, not in the trusted root. */
  untrustedCa: CertificateAuthority;
  log: TransparencyLog;
  /** Same URL as `log`, another key, not in the trusted root. */
  untrustedLog: TransparencyLog;
  /** Issues a leaf certificate with the Fulcio extensions, from the trusted CA unless told otherwise. */
  issueLeaf(opts: LeafOptions & { ca?: 'trusted' | 'untrusted' }): Promise<Leaf>;
  signLegacy(opts: LegacySignOptions): Promise<LegacySignature>;
  signBundle(opts: BundleSignOptions): Promise<BundleSignature>;
  /** Removes the directory (also done when the process exits). */
  remove(): Promise<void>;
};

export const legacyAnnotations = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
} as const;

const day = 24 * 60 * 60 * 1000;

/** Creates the CA, the log and trusted_root.json in a new temporary directory. */
export async function createTestSigstore(): Promise<TestSigstore> {
  const dir = await mkdtemp(join(tmpdir(), 'signwarden-sigstore-'));
  const cancelCleanup = onExit(() => rmSync(dir, { recursive: true, force: true }));
  const fulcioUrl = 'https://fulcio.signwarden.test';
  const rekorUrl = 'https://rekor.signwarden.test';
  // Valid from a month ago, so that tests can sign "in the past".
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - 30 * day);
  const notAfter = new Date(notBefore.getTime() + 400 * day);
  const [ca, untrustedCa] = await Promise.all([
    createCertificateAuthority(join(dir, 'ca'), { notBefore, notAfter }),
    createCertificateAuthority(join(dir, 'untrusted-ca'), { notBefore, notAfter }),
  ]);
  const log = createTransparencyLog(rekorUrl);
  const untrustedLog = createTransparencyLog(rekorUrl);

  const trustedRoot: TrustedRootJson = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: rekorUrl,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: log.publicKeyDer.toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start: notBefore.toISOString() },
        },
        logId: { keyId: log.logId.toString('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'signwarden.test', commonName: 'sigstore' },
        uri: fulcioUrl,
        certChain: { certificates: ca.chainDer.map((cert) => ({ rawBytes: cert.toString('base64') })) },
        validFor: { start: notBefore.toISOString() },
      },
    ],
    ctlogs: [],
    timestampAuthorities: [],
  };
  const trustedRootPath = join(dir, 'trusted_root.json');
  await writeFile(trustedRootPath, JSON.stringify(trustedRoot, null, 2));

  const issueLeaf: TestSigstore['issueLeaf'] = ({ ca: which, ...opts }) =>
    (which === 'untrusted' ? untrustedCa : ca).issueLeaf(opts);
  const leafOf = (signer: Signer): Promise<Leaf> =>
    'privateKey' in signer ? Promise.resolve(signer) : issueLeaf(signer);
  const logOf = (which: 'trusted' | 'untrusted' | undefined) => (which === 'untrusted' ? untrustedLog : log);

  const signLegacy: TestSigstore['signLegacy'] = async (opts) => {
    const leaf = await leafOf(opts.signer);
    const payload = simpleSigningPayload(
      opts.claimedReference ?? opts.repository,
      opts.claimedDigest ?? opts.digest,
      opts.optional ?? null,
    );
    const signature = sign('sha256', payload, leaf.privateKey);
    const entry = logOf(opts.log).append(
      {
        apiVersion: '0.0.1',
        kind: 'hashedrekord',
        spec: {
          data: { hash: { algorithm: 'sha256', value: sha256(payload).toString('hex') } },
          signature: {
            content: signature.toString('base64'),
            publicKey: { content: Buffer.from(leaf.certPem).toString('base64') },
          },
        },
      },
      integratedTime(leaf, opts.integratedTime),
    );
    return {
      payload,
      layer: {
        mediaType: simpleSigningMediaType,
        digest: `sha256:${sha256(payload).toString('hex')}`,
        size: payload.length,
        annotations: {
          [legacyAnnotations.signature]: signature.toString('base64'),
          [legacyAnnotations.certificate]: leaf.certPem,
          ...((opts.chain ?? true) && { [legacyAnnotations.chain]: leaf.chainPem }),
          [legacyAnnotations.bundle]: JSON.stringify(toRekorBundle(entry)),
        },
      },
      signature,
      leaf,
      entry,
    };
  };

  const signBundle: TestSigstore['signBundle'] = async (opts) => {
    const leaf = await leafOf(opts.signer);
    const statement = cosignSignStatement(opts.claimedDigest ?? opts.digest, opts.annotations);
    const signature = sign('sha256', dsse.preAuthEncoding(inTotoPayloadType, statement), leaf.privateKey);
    const envelope = {
      payload: statement.toString('base64'),
      payloadType: inTotoPayloadType,
      signatures: [{ sig: signature.toString('base64') }],
    };
    // What Rekor logs for a DSSE envelope (dsse v0.0.1): hashes of the envelope and of the payload,
    // and each signature with its verifier (the certificate, PEM).
    const entry = logOf(opts.log).append(
      {
        apiVersion: '0.0.1',
        kind: 'dsse',
        spec: {
          envelopeHash: { algorithm: 'sha256', value: sha256(JSON.stringify(envelope)).toString('hex') },
          payloadHash: { algorithm: 'sha256', value: sha256(statement).toString('hex') },
          signatures: [
            {
              signature: signature.toString('base64'),
              verifier: Buffer.from(leaf.certPem).toString('base64'),
            },
          ],
        },
      },
      integratedTime(leaf, opts.integratedTime),
    );
    const bundle: SerializedBundleV03 = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {
        certificate: { rawBytes: leaf.certDer.toString('base64') },
        tlogEntries: [toBundleTlogEntry(entry)],
      },
      dsseEnvelope: envelope,
    };
    return { bundle, json: JSON.stringify(bundle), statement, leaf, entry };
  };

  return {
    dir,
    trustedRoot,
    trustedRootPath,
    fulcioUrl,
    rekorUrl,
    ca,
    untrustedCa,
    log,
    untrustedLog,
    issueLeaf,
    signLegacy,
    signBundle,
    remove: async () => {
      cancelCleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function integratedTime(leaf: Leaf, at: Date | undefined): number {
  const now = Date.now();
  const time =
    at?.getTime() ??
    (leaf.notBefore.getTime() <= now && now <= leaf.notAfter.getTime()
      ? now
      : (leaf.notBefore.getTime() + leaf.notAfter.getTime()) / 2);
  return Math.floor(time / 1000);
}

/** Flips the last byte of a DER ECDSA signature: still well-formed, no longer valid. */
function flipLastByte(signature: Buffer): Buffer {
  const flipped = Buffer.from(signature);
  flipped[flipped.length - 1]! ^= 0x01;
  return flipped;
}

/** The signature with one bit of its signature annotation flipped (the logged entry unchanged). */
export function withFlippedSignature(signature: LegacySignature): LegacySignature {
  const flipped = flipLastByte(signature.signature);
  return {
    ...signature,
    signature: flipped,
    layer: {
      ...signature.layer,
      annotations: {
        ...signature.layer.annotations,
        [legacyAnnotations.signature]: flipped.toString('base64'),
      },
    },
  };
}

/** The bundle with one bit of its DSSE signature flipped (the logged entry unchanged). */
export function withFlippedBundleSignature(signature: BundleSignature): BundleSignature {
  const [first] = signature.bundle.dsseEnvelope.signatures;
  if (!first) throw new Error('the bundle has no signature');
  const bundle: SerializedBundleV03 = {
    ...signature.bundle,
    dsseEnvelope: {
      ...signature.bundle.dsseEnvelope,
      signatures: [{ ...first, sig: flipLastByte(Buffer.from(first.sig, 'base64')).toString('base64') }],
    },
  };
  return { ...signature, bundle, json: JSON.stringify(bundle) };
}

/** Writes the test Sigstore's trusted root where an operator can read it (`--trusted-root`). */
export async function operatorTrustedRoot(sigstore: TestSigstore): Promise<string> {
  const path = join(sigstore.dir, 'operator-trusted-root.json');
  await writeFile(path, JSON.stringify(sigstore.trustedRoot));
  return path;
}
