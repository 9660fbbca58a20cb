import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { describe, expect, it } from 'vitest';
import { parseDigest } from './artifact-digest.ts';
import type { ArtifactDigest } from './artifact-digest.ts';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_SIGNATURE,
  legacyLayerBundle,
  parseSimpleSigningPayload,
  verifyLegacySignature,
} from './legacy-cosign.ts';
import type { LegacySignatureLayer } from './legacy-cosign.ts';
import { parsePublicKey } from './public-key.ts';
import type { TrustedKey } from './public-key.ts';
import { parseTrustedRoot, publicGoodTrustRoot } from './trusted-root.ts';
import type { TrustRoot } from './trusted-root.ts';
import { sigstoreFixture } from '../../test/shared-fixtures.ts';

interface Fixture {
  layers: LegacySignatureLayer[];
  payloads: Buffer[];
}

function fixture(caseDir: string): Fixture {
  const manifest = JSON.parse(
    readFileSync(sigstoreFixture(`cosign-legacy/${caseDir}/signature.json`), 'utf8'),
  ) as {
    layers: (LegacySignatureLayer & { payloadFile: string })[];
  };
  return {
    layers: manifest.layers,
    payloads: manifest.layers.map((l) =>
      readFileSync(sigstoreFixture(`cosign-legacy/${caseDir}/${l.payloadFile}`)),
    ),
  };
}

const digest = (text: string): ArtifactDigest => parseDigest(text) as ArtifactDigest;
const key = (file: string): TrustedKey =>
  parsePublicKey(readFileSync(sigstoreFixture(`keys/${file}`), 'utf8')) as TrustedKey;
const staging = (): TrustRoot =>
  parseTrustedRoot(
    readFileSync(sigstoreFixture('trusted-roots/staging.trusted_root.json'), 'utf8'),
    'staging',
  ) as TrustRoot;

const NGINX = fixture('B-chainguard-nginx');
const NGINX_DIGEST = digest('sha256:5026599104b269b3ba7af58121543e8b065470a03fd9bbb4e93ba52556ecadcd');
const nginxLayer = NGINX.layers[0] as LegacySignatureLayer;
const nginxPayload = NGINX.payloads[0] as Buffer;

// A real key-signed legacy cosign signature carrying its Rekor bundle annotation (public-good Rekor,
// logIndex 18624203; the entry records the signer's public key, not a certificate). The entry is the
// shared fixture rekor/E-rekor-v1-entry-hashedrekord-production.json. The annotation's
// SignedEntryTimestamp and the payload's fields are what `cosign verify --key` printed for that
// signature in JonZeolla/JonZeolla.github.io docs/labs/container-security-101.md; the payload bytes
// were rebuilt from them and are byte-exact: their sha256 is the digest the entry logs.
interface RekorEntryBody {
  spec: { data: { hash: { value: string } }; signature: { content: string; publicKey: { content: string } } };
}
const REKOR_ENTRY = Object.values(
  JSON.parse(
    readFileSync(sigstoreFixture('rekor/E-rekor-v1-entry-hashedrekord-production.json'), 'utf8'),
  ) as Record<string, { body: string; integratedTime: number; logID: string; logIndex: number }>,
)[0]!;
const REKOR_BODY = JSON.parse(Buffer.from(REKOR_ENTRY.body, 'base64').toString('utf8')) as RekorEntryBody;
const LAB_DIGEST = digest('sha256:8f5a0b6ab1511420fc6e00d01ca5bc4c87bb49d631c95e12d254f8c4831134c9');
const LAB_PAYLOAD = Buffer.from(
  `{"critical":{"identity":{"docker-reference":"registry:443/example-secure"},"image":{"docker-manifest-digest":"${LAB_DIGEST.algorithm}:${LAB_DIGEST.hex}"},"type":"cosign container image signature"},"optional":{"tag":"latest"}}`,
);
const LAB_SET =
  'MEQCIFaWevE2v/civ3rCVYkWda/wmx9n+cUy+gnzgDetDZ2jAiBEzPIy5bFwOBBj4+yqK/yzUlVXCNmNgkA8JgnsZjIyBA==';
const labAnnotation = (change: { set?: string; body?: string } = {}): string =>
  JSON.stringify({
    SignedEntryTimestamp: change.set ?? LAB_SET,
    Payload: {
      body: change.body ?? REKOR_ENTRY.body,
      integratedTime: REKOR_ENTRY.integratedTime,
      logIndex: REKOR_ENTRY.logIndex,
      logID: REKOR_ENTRY.logID,
    },
  });
const labLayer: LegacySignatureLayer = {
  mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
  digest: `sha256:${createHash('sha256').update(LAB_PAYLOAD).digest('hex')}`,
  annotations: {
    [ANNOTATION_SIGNATURE]: REKOR_BODY.spec.signature.content,
    [ANNOTATION_BUNDLE]: labAnnotation(),
  },
};
/** The key the entry records, as the operator names it. */
const LAB_KEY = parsePublicKey(
  Buffer.from(REKOR_BODY.spec.signature.publicKey.content, 'base64').toString('utf8'),
) as TrustedKey;

const flipBase64 = (value: string, at = 40): string => {
  const bytes = Buffer.from(value, 'base64');
  bytes[at % bytes.length] = (bytes[at % bytes.length] ?? 0) ^ 0x01;
  return bytes.toString('base64');
};

const withAnnotations = (layer: LegacySignatureLayer, changes: Record<string, string | undefined>) => {
  const annotations: Record<string, string> = { ...layer.annotations };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete annotations[name];
    else annotations[name] = value;
  }
  return { ...layer, annotations };
};

describe('legacyLayerBundle', () => {
  it('maps the annotations onto a Sigstore bundle v0.1', () => {
    const converted = legacyLayerBundle(nginxLayer, nginxPayload);
    if ('error' in converted) throw new Error(converted.error);
    const rekor = JSON.parse(nginxLayer.annotations[ANNOTATION_BUNDLE] ?? '') as {
      SignedEntryTimestamp: string;
      Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
    };
    const certificate = X509Certificate.parse(nginxLayer.annotations[ANNOTATION_CERTIFICATE] ?? '');
    expect(converted.bundle).toEqual({
      mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
      verificationMaterial: {
        x509CertificateChain: { certificates: [{ rawBytes: certificate.root.toDER().toString('base64') }] },
        tlogEntries: [
          {
            logIndex: String(rekor.Payload.logIndex),
            logId: { keyId: Buffer.from(rekor.Payload.logID, 'hex').toString('base64') },
            kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
            integratedTime: String(rekor.Payload.integratedTime),
            inclusionPromise: { signedEntryTimestamp: rekor.SignedEntryTimestamp },
            canonicalizedBody: rekor.Payload.body,
          },
        ],
      },
      messageSignature: {
        messageDigest: {
          algorithm: 'SHA2_256',
          digest: createHash('sha256').update(nginxPayload).digest('base64'),
        },
        signature: nginxLayer.annotations[ANNOTATION_SIGNATURE],
      },
    });
    // The message digest is the layer's descriptor digest, and the library accepts the bundle.
    expect(`sha256:${createHash('sha256').update(nginxPayload).digest('hex')}`).toBe(nginxLayer.digest);
    expect(() => bundleFromJSON(converted.bundle)).not.toThrow();
  });

  it('maps a key-signed layer onto publicKey material without a hint', () => {
    const converted = legacyLayerBundle(labLayer, LAB_PAYLOAD);
    if ('error' in converted) throw new Error(converted.error);
    expect(converted.bundle).toMatchObject({
      verificationMaterial: {
        publicKey: { hint: '' },
        tlogEntries: [
          {
            logIndex: String(REKOR_ENTRY.logIndex),
            inclusionPromise: { signedEntryTimestamp: LAB_SET },
            canonicalizedBody: REKOR_ENTRY.body,
          },
        ],
      },
      messageSignature: { signature: REKOR_BODY.spec.signature.content },
    });
    expect(converted.bundle).not.toHaveProperty('verificationMaterial.x509CertificateChain');
    expect(() => bundleFromJSON(converted.bundle)).not.toThrow();
  });

  it('has no log entry without a bundle annotation', () => {
    const converted = legacyLayerBundle(
      withAnnotations(nginxLayer, { [ANNOTATION_BUNDLE]: undefined }),
      nginxPayload,
    );
    expect(converted).toMatchObject({ bundle: { verificationMaterial: { tlogEntries: [] } } });
  });

  const rekor = JSON.parse(nginxLayer.annotations[ANNOTATION_BUNDLE] ?? '{}') as {
    Payload: Record<string, unknown>;
  };
  const rekorWith = (payload: Record<string, unknown>) =>
    JSON.stringify({ ...rekor, Payload: { ...rekor.Payload, ...payload } });
  it.each<[string, Record<string, string | undefined>]>([
    ['no signature annotation', { [ANNOTATION_SIGNATURE]: undefined }],
    ['a signature that is not base64', { [ANNOTATION_SIGNATURE]: 'not base64!' }],
    ['a certificate that is not PEM', { [ANNOTATION_CERTIFICATE]: 'MIIB' }],
    [
      'two certificates',
      {
        [ANNOTATION_CERTIFICATE]: `${nginxLayer.annotations[ANNOTATION_CERTIFICATE]}${nginxLayer.annotations[ANNOTATION_CERTIFICATE]}`,
      },
    ],
    ['a bundle annotation that is not JSON', { [ANNOTATION_BUNDLE]: '{' }],
    ['a bundle annotation without a payload', { [ANNOTATION_BUNDLE]: '{"SignedEntryTimestamp":"AAAA"}' }],
    ['a log ID that is not hex', { [ANNOTATION_BUNDLE]: rekorWith({ logID: 'zz' }) }],
    ['a negative log index', { [ANNOTATION_BUNDLE]: rekorWith({ logIndex: -1 }) }],
    [
      'an entry body that is not JSON',
      { [ANNOTATION_BUNDLE]: rekorWith({ body: Buffer.from('{').toString('base64') }) },
    ],
    [
      'an entry body without kind',
      { [ANNOTATION_BUNDLE]: rekorWith({ body: Buffer.from('{}').toString('base64') }) },
    ],
  ])('refuses %s', (_name, changes) => {
    expect(legacyLayerBundle(withAnnotations(nginxLayer, changes), nginxPayload)).toHaveProperty('error');
  });
});

describe('verifyLegacySignature', () => {
  const trust = publicGoodTrustRoot();
  const keyed = fixture('B-connaisseur-testimage-3-keys');
  const keyedDigest = digest('sha256:bfec161fecb0a887df7cb85e4da327c65986ccda7060cf3cd92171c6c90d7533');
  const bob = key('connaisseur-bob.pub');

  it.each<[string, () => Parameters<typeof verifyLegacySignature>[0], string]>([
    [
      'a valid keyless signature',
      () => ({ layer: nginxLayer, payload: nginxPayload, imageDigest: NGINX_DIGEST, trust }),
      'Verified',
    ],
    [
      'a payload blob that does not match its descriptor',
      () => ({
        layer: nginxLayer,
        payload: Buffer.concat([nginxPayload, Buffer.from(' ')]),
        imageDigest: NGINX_DIGEST,
        trust,
      }),
      'Invalid',
    ],
    [
      'a changed payload with a matching descriptor (the signature no longer covers it)',
      () => {
        const payload = Buffer.from(nginxPayload.toString('utf8').replace('"optional":', '"optional" :'));
        const layer = {
          ...nginxLayer,
          digest: `sha256:${createHash('sha256').update(payload).digest('hex')}`,
        };
        return { layer, payload, imageDigest: NGINX_DIGEST, trust };
      },
      'Invalid',
    ],
    [
      'a valid signature for another image digest (replay)',
      () => ({
        layer: nginxLayer,
        payload: nginxPayload,
        imageDigest: digest(`sha256:${'1'.repeat(64)}`),
        trust,
      }),
      'Invalid',
    ],
    [
      'a malformed descriptor digest',
      () => ({
        layer: { ...nginxLayer, digest: 'sha256:xyz' },
        payload: nginxPayload,
        imageDigest: NGINX_DIGEST,
        trust,
      }),
      'Invalid',
    ],
    [
      'a malformed Rekor bundle annotation',
      () => ({
        layer: withAnnotations(nginxLayer, { [ANNOTATION_BUNDLE]: '[]' }),
        payload: nginxPayload,
        imageDigest: NGINX_DIGEST,
        trust,
      }),
      'Invalid',
    ],
    [
      'a keyless signature without a Rekor bundle annotation',
      () => ({
        layer: withAnnotations(nginxLayer, { [ANNOTATION_BUNDLE]: undefined }),
        payload: nginxPayload,
        imageDigest: NGINX_DIGEST,
        trust,
      }),
      'Unverifiable',
    ],
    [
      'a replayed signature without a Rekor bundle annotation (no laundering into Unverifiable)',
      () => ({
        layer: withAnnotations(nginxLayer, { [ANNOTATION_BUNDLE]: undefined }),
        payload: nginxPayload,
        imageDigest: digest(`sha256:${'1'.repeat(64)}`),
        trust,
      }),
      'Invalid',
    ],
    [
      'a replayed signature checked against the staging root (a CA we do not know)',
      () => ({
        layer: nginxLayer,
        payload: nginxPayload,
        imageDigest: digest(`sha256:${'1'.repeat(64)}`),
        trust: staging(),
      }),
      'Unverifiable',
    ],
    [
      'a public-good signature checked against the staging root',
      () => ({ layer: nginxLayer, payload: nginxPayload, imageDigest: NGINX_DIGEST, trust: staging() }),
      'Unverifiable',
    ],
    [
      'a key signature with the signing key',
      () => ({
        layer: keyed.layers[1]!,
        payload: keyed.payloads[1]!,
        imageDigest: keyedDigest,
        trust,
        keys: [bob],
      }),
      'Verified',
    ],
    [
      'a key signature with another key',
      () => ({
        layer: keyed.layers[0]!,
        payload: keyed.payloads[0]!,
        imageDigest: keyedDigest,
        trust,
        keys: [bob],
      }),
      'Unverifiable',
    ],
    [
      'a key signature and no key',
      () => ({ layer: keyed.layers[1]!, payload: keyed.payloads[1]!, imageDigest: keyedDigest, trust }),
      'Unverifiable',
    ],
    [
      'a key signature for another image digest',
      () => ({
        layer: keyed.layers[1]!,
        payload: keyed.payloads[1]!,
        imageDigest: digest(`sha256:${'2'.repeat(64)}`),
        trust,
        keys: [bob],
      }),
      'Invalid',
    ],
  ])('%s', (_name, input, outcome) => {
    expect(verifyLegacySignature(input()).outcome).toBe(outcome);
  });

  describe('a key signature with a Rekor entry recording its key', () => {
    const lab = (
      change: {
        annotations?: Record<string, string | undefined>;
        keys?: TrustedKey[];
        trust?: TrustRoot;
      } = {},
    ) =>
      verifyLegacySignature({
        layer: withAnnotations(labLayer, change.annotations ?? {}),
        payload: LAB_PAYLOAD,
        imageDigest: LAB_DIGEST,
        trust: change.trust ?? trust,
        ...(change.keys ? { keys: change.keys } : {}),
      });
    const swappedKeyBody = (): string => {
      const body = structuredClone(REKOR_BODY);
      body.spec.signature.publicKey.content = Buffer.from(
        readFileSync(sigstoreFixture('keys/connaisseur-bob.pub')),
      ).toString('base64');
      return Buffer.from(JSON.stringify(body)).toString('base64');
    };

    it('rebuilds the payload byte-exact', () => {
      expect(createHash('sha256').update(LAB_PAYLOAD).digest('hex')).toBe(REKOR_BODY.spec.data.hash.value);
      expect(LAB_KEY.fingerprint).toBe(
        'sha256:a158e8e6fe4ac973529a9e18f0eed1e3609ac6fb6664446bfa98e7d78cc6a784',
      );
    });

    it.each<[string, Parameters<typeof lab>[0], 'Verified' | 'Invalid' | 'Unverifiable']>([
      ['no key given: the key the verified entry records', {}, 'Verified'],
      ['the same key pinned', { keys: [LAB_KEY] }, 'Verified'],
      ['another key pinned: the logged key still signs (continuity judges it)', { keys: [bob] }, 'Verified'],
      [
        'the promise of our log tampered (forged)',
        { annotations: { [ANNOTATION_BUNDLE]: labAnnotation({ set: flipBase64(LAB_SET) }) } },
        'Invalid',
      ],
      [
        'the promise of our log tampered, the key pinned (a forged promise stays loud)',
        {
          annotations: { [ANNOTATION_BUNDLE]: labAnnotation({ set: flipBase64(LAB_SET) }) },
          keys: [LAB_KEY],
        },
        'Invalid',
      ],
      [
        'the entry body recording another key (the promise no longer covers it)',
        { annotations: { [ANNOTATION_BUNDLE]: labAnnotation({ body: swappedKeyBody() }) } },
        'Invalid',
      ],
      [
        'a signature the entry does not record',
        { annotations: { [ANNOTATION_SIGNATURE]: keyed.layers[1]!.annotations[ANNOTATION_SIGNATURE] } },
        'Invalid',
      ],
      ['a malformed Rekor bundle annotation', { annotations: { [ANNOTATION_BUNDLE]: '[]' } }, 'Invalid'],
      [
        'a malformed Rekor bundle annotation, the key pinned',
        { annotations: { [ANNOTATION_BUNDLE]: '[]' }, keys: [LAB_KEY] },
        'Invalid',
      ],
      [
        'the annotation removed, no key given',
        { annotations: { [ANNOTATION_BUNDLE]: undefined } },
        'Unverifiable',
      ],
      [
        'the annotation removed, the key pinned',
        { annotations: { [ANNOTATION_BUNDLE]: undefined }, keys: [LAB_KEY] },
        'Verified',
      ],
      ['a root without the log (staging), no key given', { trust: staging() }, 'Unverifiable'],
      ['a root without the log (staging), the key pinned', { trust: staging(), keys: [LAB_KEY] }, 'Verified'],
    ])('%s', (_name, change, outcome) => {
      const result = lab(change);
      expect(result.outcome, JSON.stringify(result)).toBe(outcome);
      if (result.outcome === 'Verified')
        expect(result.signer).toEqual({ kind: 'Key', fingerprint: LAB_KEY.fingerprint });
    });

    it('is Invalid for another image digest', () => {
      const result = verifyLegacySignature({
        layer: labLayer,
        payload: LAB_PAYLOAD,
        imageDigest: keyedDigest,
        trust,
      });
      expect(result.outcome).toBe('Invalid');
      expect(result.outcome === 'Invalid' ? result.reason : '').toMatch(/^payload signs sha256:8f5a/);
    });

    it('says why without a key and without the annotation', () => {
      expect(lab({ annotations: { [ANNOTATION_BUNDLE]: undefined } })).toEqual({
        outcome: 'Unverifiable',
        reason: 'key-signed signature and no public key was given',
      });
    });
  });

  it('reports the key fingerprint of a key signature', () => {
    const result = verifyLegacySignature({
      layer: keyed.layers[1]!,
      payload: keyed.payloads[1]!,
      imageDigest: keyedDigest,
      trust,
      keys: [key('connaisseur-alice.pub'), bob],
    });
    expect(result).toEqual({ outcome: 'Verified', signer: { kind: 'Key', fingerprint: bob.fingerprint } });
    expect(bob.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('parseSimpleSigningPayload', () => {
  const valid = {
    critical: {
      identity: { 'docker-reference': 'ghcr.io/acme/api' },
      image: { 'docker-manifest-digest': `sha256:${'a'.repeat(64)}` },
      type: 'cosign container image signature',
    },
    optional: null,
  };
  it.each<[string, unknown, boolean]>([
    ['a cosign payload', valid, true],
    ['without optional', { critical: valid.critical }, true],
    [
      'another signature type',
      { ...valid, critical: { ...valid.critical, type: 'atomic container signature' } },
      false,
    ],
    ['no image digest', { ...valid, critical: { ...valid.critical, image: {} } }, false],
    ['no critical section', { optional: {} }, false],
    ['not an object', [valid], false],
  ])('%s', (_name, payload, ok) => {
    const parsed = parseSimpleSigningPayload(Buffer.from(JSON.stringify(payload)));
    expect('error' in parsed).toBe(!ok);
  });

  it('refuses bytes that are not JSON', () => {
    expect(parseSimpleSigningPayload(Buffer.from('{'))).toHaveProperty('error');
  });
});
