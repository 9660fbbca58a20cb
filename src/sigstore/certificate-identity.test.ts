import { readFileSync } from 'node:fs';
import { X509Certificate } from '@sigstore/core';
import { describe, expect, it } from 'vitest';
import {
  FULCIO_OID,
  certificateIdentity,
  hasCodeSigningUsage,
  keylessSigner,
} from './certificate-identity.ts';
import type { CertificateIdentity } from './certificate-identity.ts';
import { sigstoreFixture } from '../../test/shared-fixtures.ts';

const GITHUB = 'https://token.actions.githubusercontent.com';

/** The leaf certificate of a fixture bundle (or of a JSON line of one). */
function bundleLeaf(path: string, line?: number): X509Certificate {
  let text = readFileSync(sigstoreFixture(path), 'utf8');
  if (line !== undefined) text = text.split('\n')[line] ?? '';
  const material = (
    JSON.parse(text) as {
      verificationMaterial: {
        certificate?: { rawBytes: string };
        x509CertificateChain?: { certificates: { rawBytes: string }[] };
      };
    }
  ).verificationMaterial;
  const raw =
    material.certificate?.rawBytes ?? material.x509CertificateChain?.certificates[0]?.rawBytes ?? '';
  return X509Certificate.parse(Buffer.from(raw, 'base64'));
}

function legacyLeaf(caseDir: string): X509Certificate {
  const manifest = JSON.parse(
    readFileSync(sigstoreFixture(`cosign-legacy/${caseDir}/signature.json`), 'utf8'),
  ) as {
    layers: { annotations: Record<string, string> }[];
  };
  return X509Certificate.parse(manifest.layers[0]?.annotations['dev.sigstore.cosign/certificate'] ?? '');
}

describe('certificateIdentity of real Fulcio certificates', () => {
  it.each<[string, () => X509Certificate, Partial<CertificateIdentity>]>([
    [
      'public-good GitHub Actions, deprecated extensions only (2022)',
      () => legacyLeaf('B-chainguard-nginx'),
      {
        subjectAlternativeName:
          'https://github.com/chainguard-images/nginx/.github/workflows/release.yaml@refs/heads/main',
        sanType: 'uri',
        issuer: GITHUB,
        claims: {},
        github: {
          workflowRepository: 'chainguard-images/nginx',
          workflowRef: 'refs/heads/main',
          workflowTrigger: 'schedule',
          workflowName: 'Create Release',
          workflowSha: 'f07941597c50327985a3126472abbcafaa615e72',
        },
      },
    ],
    [
      'public-good reusable workflow: the SAN is the reusable workflow, the claims the caller',
      () => bundleLeaf('bundles/C-gh-reusable-workflow-attestation/bundle.sigstore.json'),
      {
        subjectAlternativeName:
          'https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d',
        issuer: GITHUB,
        claims: {
          buildSignerUri:
            'https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d',
          runnerEnvironment: 'github-hosted',
          sourceRepositoryUri: 'https://github.com/malancas/attest-demo',
          sourceRepositoryDigest: '95baf27389e83e6a5c48f42e190d48d7abcea19e',
          sourceRepositoryRef: 'refs/heads/main',
          buildTrigger: 'workflow_dispatch',
          runInvocationUri: 'https://github.com/malancas/attest-demo/actions/runs/9228858953/attempts/1',
        },
        github: {
          workflowRepository: 'malancas/attest-demo',
          workflowRef: 'refs/heads/main',
          workflowTrigger: 'workflow_dispatch',
          workflowName: 'Build / Attest / Verify (Shared)',
          workflowSha: '95baf27389e83e6a5c48f42e190d48d7abcea19e',
        },
      },
    ],
    [
      'public-good Google account (email SAN, issuer v2)',
      () => bundleLeaf('bundles/C-java-appu-v0.3/bundle.sigstore.json'),
      {
        subjectAlternativeName: 'appu@google.com',
        sanType: 'email',
        issuer: 'https://accounts.google.com',
        claims: {},
      },
    ],
    [
      'GitHub OAuth email identity',
      () => legacyLeaf('B-connaisseur-phbelitz-rekor-test'),
      {
        subjectAlternativeName: 'philipp.belitz@securesystems.de',
        sanType: 'email',
        issuer: 'https://github.com/login/oauth',
      },
    ],
    [
      "GitHub's own Fulcio instance",
      () => bundleLeaf('bundles/C-gh-instance-attest-demo-provenance/bundle.jsonl', 0),
      {
        subjectAlternativeName:
          'https://github.com/actions/attest-demo/.github/workflows/build-python.yml@refs/heads/main',
        issuer: GITHUB,
        github: {
          workflowRepository: 'actions/attest-demo',
          workflowRef: 'refs/heads/main',
          workflowTrigger: 'workflow_dispatch',
          workflowName: 'Build package and publish to PyPI',
          workflowSha: 'a6c23b9806c593664f68637c8f9d45dfcf98b2db',
        },
      },
    ],
  ])('%s', (_name, leaf, expected) => {
    const cert = leaf();
    const identity = certificateIdentity(cert);
    expect(identity).toMatchObject(expected);
    expect(hasCodeSigningUsage(cert)).toBe(true);
    if ('error' in identity) return;
    expect(keylessSigner(identity)).toEqual({
      kind: 'Keyless',
      identity: expected.subjectAlternativeName,
      issuer: expected.issuer,
      ...(expected.github ? { github: expected.github } : {}),
    });
  });

  it('does not give GitHub claims to a non-GitHub identity', () => {
    const identity = certificateIdentity(bundleLeaf('bundles/C-java-appu-v0.3/bundle.sigstore.json'));
    expect(identity).not.toHaveProperty('github');
  });
});

// A minimal DER writer for synthetic certificates: only the structure X509Certificate navigates
// (extensions) has to be right; nothing here is signed.
const length = (n: number): number[] => (n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]);
const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag, ...length(body.length)]), body]);
};
function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let n = arc >> 7; n > 0; n >>= 7) base128.unshift((n & 0x7f) | 0x80);
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}
const utf8String = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const extension = (id: string, value: Buffer): Buffer => tlv(0x30, oid(id), tlv(0x04, value));
const san = (...names: Buffer[]): Buffer => extension('2.5.29.17', tlv(0x30, ...names));
const uri = (value: string | Buffer): Buffer =>
  tlv(0x86, typeof value === 'string' ? Buffer.from(value, 'latin1') : value);
const email = (value: string): Buffer => tlv(0x81, Buffer.from(value, 'latin1'));
const dnsName = (value: string): Buffer => tlv(0x82, Buffer.from(value, 'latin1'));
const username = (value: string): Buffer =>
  tlv(0xa0, oid(FULCIO_OID.otherNameSan), tlv(0xa0, utf8String(value)));
const derExt = (id: string, value: string): Buffer => extension(id, utf8String(value));
const rawExt = (id: string, value: string | Buffer): Buffer =>
  extension(id, typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
const eku = (...usages: string[]): Buffer => extension('2.5.29.37', tlv(0x30, ...usages.map(oid)));

function certificate(...extensions: Buffer[]): X509Certificate {
  const algorithm = tlv(0x30, oid('1.2.840.10045.4.3.3'));
  const tbs = tlv(
    0x30,
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, Buffer.from([1])),
    algorithm,
    tlv(0x30),
    tlv(0x30),
    tlv(0x30),
    tlv(0x30),
    tlv(0xa3, tlv(0x30, ...extensions)),
  );
  return X509Certificate.parse(Buffer.from(tlv(0x30, tbs, algorithm, tlv(0x03, Buffer.from([0])))));
}

const WORKFLOW = 'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1';
const issuerV2 = derExt(FULCIO_OID.issuerV2, GITHUB);

describe('certificateIdentity of synthetic certificates', () => {
  it.each<[string, Buffer[], Partial<CertificateIdentity>]>([
    [
      'URI SAN, issuer v2',
      [san(uri(WORKFLOW)), issuerV2],
      { subjectAlternativeName: WORKFLOW, sanType: 'uri', issuer: GITHUB },
    ],
    [
      'email SAN',
      [san(email('dev@acme.example')), issuerV2],
      { subjectAlternativeName: 'dev@acme.example', sanType: 'email' },
    ],
    [
      'username SAN (otherName)',
      [san(username('dev')), issuerV2],
      { subjectAlternativeName: 'dev', sanType: 'username' },
    ],
    [
      'other name types are ignored',
      [san(dnsName('acme.example'), uri(WORKFLOW)), issuerV2],
      { subjectAlternativeName: WORKFLOW },
    ],
    [
      'issuer v1 (raw bytes) when v2 is absent',
      [san(uri(WORKFLOW)), rawExt(FULCIO_OID.issuerV1, GITHUB)],
      { issuer: GITHUB },
    ],
    [
      'issuer v2 wins over v1',
      [san(uri(WORKFLOW)), rawExt(FULCIO_OID.issuerV1, 'https://v1.example'), issuerV2],
      { issuer: GITHUB },
    ],
    [
      'current extensions win over the deprecated GitHub ones',
      [
        san(uri(WORKFLOW)),
        issuerV2,
        rawExt(FULCIO_OID.githubWorkflowRef, 'refs/heads/old'),
        rawExt(FULCIO_OID.githubWorkflowRepository, 'acme/old'),
        derExt(FULCIO_OID.sourceRepositoryRef, 'refs/tags/v1'),
        derExt(FULCIO_OID.sourceRepositoryUri, 'https://github.com/acme/api'),
        derExt(FULCIO_OID.buildTrigger, 'push'),
      ],
      { github: { workflowRepository: 'acme/api', workflowRef: 'refs/tags/v1', workflowTrigger: 'push' } },
    ],
    [
      'a source URI that is not owner/name falls back to the deprecated repository',
      [
        san(uri(WORKFLOW)),
        issuerV2,
        rawExt(FULCIO_OID.githubWorkflowRepository, 'acme/api'),
        derExt(FULCIO_OID.sourceRepositoryUri, 'https://github.com/acme/api/tree/x'),
      ],
      { github: { workflowRepository: 'acme/api' } },
    ],
    [
      'a claim with control characters is dropped, not the identity',
      [
        san(uri(WORKFLOW)),
        issuerV2,
        derExt(FULCIO_OID.sourceRepositoryRef, 'refs/tags/v1\nrefs/heads/main'),
        rawExt(FULCIO_OID.githubWorkflowName, 'Release'),
      ],
      { claims: {}, github: { workflowName: 'Release' } },
    ],
    [
      'a claim longer than the resource schema allows is dropped',
      [
        san(uri(WORKFLOW)),
        issuerV2,
        derExt(FULCIO_OID.buildTrigger, 'x'.repeat(65)),
        rawExt(FULCIO_OID.githubWorkflowName, 'R'),
      ],
      { github: { workflowName: 'R' } },
    ],
  ])('%s', (_name, extensions, expected) => {
    expect(certificateIdentity(certificate(...extensions))).toMatchObject(expected);
  });

  it('gives no GitHub claims to another issuer, even with source-repository extensions', () => {
    const identity = certificateIdentity(
      certificate(
        san(uri('https://gitlab.com/acme/api//.gitlab-ci.yml@refs/heads/main')),
        derExt(FULCIO_OID.issuerV2, 'https://gitlab.com'),
        derExt(FULCIO_OID.sourceRepositoryUri, 'https://gitlab.com/acme/api'),
      ),
    );
    expect(identity).toMatchObject({ claims: { sourceRepositoryUri: 'https://gitlab.com/acme/api' } });
    expect(identity).not.toHaveProperty('github');
  });

  it.each<[string, Buffer[]]>([
    ['no SAN', [issuerV2]],
    ['SAN without an identity', [san(dnsName('acme.example')), issuerV2]],
    ['two identities', [san(uri(WORKFLOW), email('dev@acme.example')), issuerV2]],
    ['two SAN extensions', [san(uri(WORKFLOW)), san(uri('https://github.com/evil/x')), issuerV2]],
    ['newline in the SAN', [san(uri(`${WORKFLOW}\nhttps://github.com/evil/x`)), issuerV2]],
    ['escape sequence in the SAN', [san(email('\u001b[2Jdev@acme.example')), issuerV2]],
    // Node's 'ascii' decoding would turn 0xE1 into 'a': https://github.com/acme/... from \xE1cme.
    [
      'high-bit byte in the SAN',
      [san(uri(Buffer.from('https://github.com/\xe1cme/api', 'latin1'))), issuerV2],
    ],
    ['over-long SAN', [san(uri(`https://github.com/${'a'.repeat(1100)}`)), issuerV2]],
    ['bidi override in a username', [san(username('dev\u202e')), issuerV2]],
    ['no issuer', [san(uri(WORKFLOW))]],
    ['issuer v2 that is not a UTF8String', [san(uri(WORKFLOW)), rawExt(FULCIO_OID.issuerV2, GITHUB)]],
    [
      'issuer v2 with a control character (no fallback to v1)',
      [
        san(uri(WORKFLOW)),
        derExt(FULCIO_OID.issuerV2, `${GITHUB}\u0000`),
        rawExt(FULCIO_OID.issuerV1, GITHUB),
      ],
    ],
    [
      'issuer v1 that is not UTF-8',
      [san(uri(WORKFLOW)), rawExt(FULCIO_OID.issuerV1, Buffer.from([0xff, 0xfe]))],
    ],
    [
      'two issuer extensions',
      [san(uri(WORKFLOW)), issuerV2, derExt(FULCIO_OID.issuerV2, 'https://evil.example')],
    ],
  ])('refuses a certificate with %s', (_name, extensions) => {
    expect(certificateIdentity(certificate(...extensions))).toHaveProperty('error');
  });
});

describe('hasCodeSigningUsage', () => {
  it.each<[string, Buffer[], boolean]>([
    ['code signing', [eku('1.3.6.1.5.5.7.3.3')], true],
    ['code signing among others', [eku('1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.3')], true],
    ['server authentication only', [eku('1.3.6.1.5.5.7.3.1')], false],
    ['no extended key usage', [], false],
    ['two extended key usage extensions', [eku('1.3.6.1.5.5.7.3.3'), eku('1.3.6.1.5.5.7.3.1')], false],
  ])('%s', (_name, extensions, expected) => {
    expect(hasCodeSigningUsage(certificate(san(uri(WORKFLOW)), issuerV2, ...extensions))).toBe(expected);
  });
});
