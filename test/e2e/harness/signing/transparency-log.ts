import type { KeyObject } from 'node:crypto';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { json } from '@sigstore/core';

// A Rekor v1-like transparency log kept in memory: an RFC 6962 Merkle tree of canonicalized entry
// bodies, signed by an ECDSA P-256 key. Each entry gets what Rekor returns for it: a signed entry
// timestamp (SET, the inclusion promise) and an inclusion proof against a signed checkpoint.

/** One logged entry, as Rekor's `GET /api/v1/log/entries/{uuid}` describes it. */
export type LogEntry = {
  logIndex: number;
  /** sha256 of the log's public key (SPKI DER): the log ID. */
  logId: Buffer;
  /** Unix seconds. */
  integratedTime: number;
  /** The canonicalized body (canonical JSON of the Rekor entry, e.g. a hashedrekord). */
  body: Buffer;
  kind: string;
  apiVersion: string;
  /** ECDSA signature of the log over the canonical `{body, integratedTime, logID, logIndex}`. */
  signedEntryTimestamp: Buffer;
  inclusionProof: {
    logIndex: number;
    treeSize: number;
    rootHash: Buffer;
    /** Sibling hashes from the leaf up. */
    hashes: Buffer[];
    /** A signed note: origin, tree size, root hash, then the log's signature line. */
    checkpoint: string;
  };
};

/** A tlog entry in a Sigstore bundle (protobuf-specs JSON). */
export type BundleTlogEntry = {
  logIndex: string;
  logId: { keyId: string };
  kindVersion: { kind: string; version: string };
  integratedTime: string;
  inclusionPromise: { signedEntryTimestamp: string };
  inclusionProof: {
    logIndex: string;
    rootHash: string;
    treeSize: string;
    hashes: string[];
    checkpoint: { envelope: string };
  };
  canonicalizedBody: string;
};

/** The `dev.sigstore.cosign/bundle` annotation of a legacy cosign signature. */
export type RekorBundle = {
  SignedEntryTimestamp: string;
  Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
};

export type TransparencyLog = {
  /** e.g. https://rekor.signwarden.test: its host names the checkpoint's signer. */
  baseUrl: string;
  publicKey: KeyObject;
  /** SPKI DER of the public key. */
  publicKeyDer: Buffer;
  logId: Buffer;
  /** Appends a Rekor entry body (canonicalized here) and returns the entry with its proofs. */
  append(body: { apiVersion: string; kind: string; spec: unknown }, integratedTime: number): LogEntry;
};

export function createTransparencyLog(baseUrl: string): TransparencyLog {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKeyDer = publicKey.export({ type: 'spki', format: 'der' });
  const logId = sha256(publicKeyDer);
  const host = new URL(baseUrl).host;
  // Rekor's checkpoint origin: "<host> - <tree ID>".
  const origin = `${host} - ${BigInt(`0x${logId.subarray(0, 8).toString('hex')}`) >> 1n}`;
  const leaves: Buffer[] = [];

  const append: TransparencyLog['append'] = (entry, integratedTime) => {
    const body = Buffer.from(json.canonicalize(entry), 'utf8');
    const logIndex = leaves.length;
    leaves.push(leafHash(body));
    const treeSize = leaves.length;
    const rootHash = treeHash(leaves);
    const note = `${origin}\n${treeSize}\n${rootHash.toString('base64')}\n`;
    const noteSignature = Buffer.concat([
      logId.subarray(0, 4),
      sign('sha256', Buffer.from(note), privateKey),
    ]);
    const set = sign(
      'sha256',
      Buffer.from(
        json.canonicalize({
          body: body.toString('base64'),
          integratedTime,
          logID: logId.toString('hex'),
          logIndex,
        }),
      ),
      privateKey,
    );
    return {
      logIndex,
      logId,
      integratedTime,
      body,
      kind: entry.kind,
      apiVersion: entry.apiVersion,
      signedEntryTimestamp: set,
      inclusionProof: {
        logIndex,
        treeSize,
        rootHash,
        hashes: inclusionPath(logIndex, leaves),
        checkpoint: `${note}\n\u2014 ${host} ${noteSignature.toString('base64')}\n`,
      },
    };
  };
  return { baseUrl, publicKey, publicKeyDer, logId, append };
}

/** The entry as a Sigstore bundle's `verificationMaterial.tlogEntries[]` holds it. */
export function toBundleTlogEntry(entry: LogEntry): BundleTlogEntry {
  const proof = entry.inclusionProof;
  return {
    logIndex: String(entry.logIndex),
    logId: { keyId: entry.logId.toString('base64') },
    kindVersion: { kind: entry.kind, version: entry.apiVersion },
    integratedTime: String(entry.integratedTime),
    inclusionPromise: { signedEntryTimestamp: entry.signedEntryTimestamp.toString('base64') },
    inclusionProof: {
      logIndex: String(proof.logIndex),
      rootHash: proof.rootHash.toString('base64'),
      treeSize: String(proof.treeSize),
      hashes: proof.hashes.map((hash) => hash.toString('base64')),
      checkpoint: { envelope: proof.checkpoint },
    },
    canonicalizedBody: entry.body.toString('base64'),
  };
}

/** The entry as cosign's legacy `dev.sigstore.cosign/bundle` annotation holds it. */
export function toRekorBundle(entry: LogEntry): RekorBundle {
  return {
    SignedEntryTimestamp: entry.signedEntryTimestamp.toString('base64'),
    Payload: {
      body: entry.body.toString('base64'),
      integratedTime: entry.integratedTime,
      logIndex: entry.logIndex,
      logID: entry.logId.toString('hex'),
    },
  };
}

export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

// RFC 6962 section 2.1: leaf hashes are prefixed with 0x00, interior nodes with 0x01.
function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256')
    .update(Buffer.from([0]))
    .update(data)
    .digest();
}

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(left)
    .update(right)
    .digest();
}

/** The largest power of two smaller than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over leaf hashes. */
function treeHash(hashes: Buffer[]): Buffer {
  if (hashes.length === 0) return sha256(new Uint8Array());
  if (hashes.length === 1) return hashes[0]!;
  const k = split(hashes.length);
  return nodeHash(treeHash(hashes.slice(0, k)), treeHash(hashes.slice(k)));
}

/** PATH(m, D[n]) over leaf hashes: the audit path of leaf m, from the leaf up. */
function inclusionPath(m: number, hashes: Buffer[]): Buffer[] {
  if (hashes.length <= 1) return [];
  const k = split(hashes.length);
  return m < k
    ? [...inclusionPath(m, hashes.slice(0, k)), treeHash(hashes.slice(k))]
    : [...inclusionPath(m - k, hashes.slice(k)), treeHash(hashes.slice(0, k))];
}
