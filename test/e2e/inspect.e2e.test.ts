// `signwarden inspect` against the run's registry: argv in, output and exit code out, for every
// posture; tags, indexes, signature-only mirrors, signatures in another repository, registry
// credentials, usage errors. Also the real command (`node src/cli/main.ts inspect`) once.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { InspectReport } from '../../src/cli/inspect.ts';
import { INSPECT_EXIT_CODES, inspectCommand, renderJson, renderTable } from '../../src/cli/inspect.ts';
import { parsePublicKey } from '../../src/sigstore/public-key.ts';
import { digestOf, mediaTypes } from './harness/oci.ts';
import type { Registry } from './harness/registry.ts';
import { startRegistry } from './harness/registry.ts';
import type { CosignKeyPair } from './harness/signing/cosign.ts';
import { cosignKeyPair, cosignSign } from './harness/signing/cosign.ts';
import type { Image, Manifest } from './harness/signing/publish.ts';
import {
  fetchManifest,
  publishBundle,
  publishLegacySignature,
  pushMultiArchIndex,
  pushRandomImage,
  signatureTag,
} from './harness/signing/publish.ts';
import type { LegacySignature, TestSigstore } from './harness/signing/test-sigstore.ts';
import { createTestSigstore } from './harness/signing/test-sigstore.ts';
import { githubIssuer, releaseSigner, releaseWorkflow } from './harness/signing/release-signer.ts';

const host = inject('registryHost');
const run = randomBytes(4).toString('hex');
const repo = (name: string): string => `inspect-${run}/${name}`;

const workflow = releaseWorkflow;
const signer = releaseSigner;

let sigstore: TestSigstore;
let key: CosignKeyPair;
let scratch: string;
beforeAll(async () => {
  [sigstore, key, scratch] = await Promise.all([
    createTestSigstore(),
    cosignKeyPair(),
    mkdtemp(join(tmpdir(), 'signwarden-inspect-')),
  ]);
});
afterAll(async () => {
  await Promise.all([
    sigstore?.remove(),
    key?.remove(),
    scratch && rm(scratch, { recursive: true, force: true }),
  ]);
});

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function inspect(argv: string[]): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const code = await inspectCommand(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

/** inspect with the test Sigstore's root, on the run's plain-HTTP registry, JSON output. */
async function inspectJson(image: string, ...flags: string[]): Promise<Ran & { report: InspectReport }> {
  const ran = await inspect([
    image,
    '--trusted-root',
    sigstore.trustedRootPath,
    '--insecure-registry',
    host,
    '--output',
    'json',
    ...flags,
  ]);
  expect(ran.stderr).toBe('');
  expect(ran.stdout).toMatch(/^\{.*\}\n$/);
  return { ...ran, report: JSON.parse(ran.stdout) as InspectReport };
}

/** Puts `image`'s manifest under `tag` too. */
async function tag(image: Image, name: string): Promise<string> {
  const found = await fetchManifest(host, image.repository, image.digest);
  if (!found) throw new Error(`${image.ref} not found`);
  const res = await fetch(`http://${host}/v2/${image.repository}/manifests/${name}`, {
    method: 'PUT',
    body: found.raw,
    headers: { 'content-type': found.descriptor.mediaType },
  });
  expect(res.status).toBe(201);
  return `${image.name}:${name}`;
}

const legacy = (
  image: Pick<Image, 'name' | 'digest'>,
  opts: Partial<Parameters<TestSigstore['signLegacy']>[0]> = {},
) => sigstore.signLegacy({ repository: image.name, digest: image.digest, signer, ...opts });

const REPORT_KEYS = [
  'image',
  'repository',
  'tag',
  'digest',
  'mediaType',
  'signatureRepository',
  'trustedRoot',
  'posture',
  'signers',
  'location',
  'signedDigest',
  'signedBy',
  'checkingReason',
  'detail',
  'note',
  'platforms',
  'exitCode',
];

describe('signwarden inspect: postures and exit codes', () => {
  it('keyless, by tag: Signed, exit 0, every field of the JSON report', async () => {
    const image = await pushRandomImage(host, repo('keyless'));
    await publishBundle(image, await sigstore.signBundle({ digest: image.digest, signer }));
    const ref = await tag(image, 'v1');

    const { code, report } = await inspectJson(ref);
    expect(code).toBe(0);
    expect(Object.keys(report)).toEqual(REPORT_KEYS);
    expect(report).toEqual({
      image: ref,
      repository: image.name,
      tag: 'v1',
      digest: image.digest,
      mediaType: mediaTypes.manifest,
      signatureRepository: null,
      trustedRoot: sigstore.trustedRootPath,
      posture: 'Signed',
      signers: [
        {
          kind: 'Keyless',
          identity: workflow,
          issuer: githubIssuer,
          github: {
            workflowRepository: 'acme/app',
            workflowRef: 'refs/heads/main',
            workflowTrigger: 'push',
            workflowName: 'release',
            workflowSha: releaseSigner.github.sha,
          },
        },
      ],
      location: 'ReferrersTag',
      signedDigest: image.digest,
      signedBy: 'Digest',
      checkingReason: null,
      detail: null,
      note: null,
      platforms: [],
      exitCode: 0,
    });
  });

  it('keyless, as a table: identity, issuer, GitHub claims, location and the digest that carried it', async () => {
    const image = await pushRandomImage(host, repo('keyless-table'));
    await publishLegacySignature(image, await legacy(image));
    const { code, stdout, stderr } = await inspect([
      image.ref,
      '--trusted-root',
      sigstore.trustedRootPath,
      '--insecure-registry',
      host,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    const value = (label: string): string | undefined =>
      lines
        .find((line) => line.startsWith(`${label}:`))
        ?.slice(label.length + 1)
        .trim();
    expect(value('image')).toBe(image.ref);
    expect(value('repository')).toBe(image.name);
    expect(value('digest')).toBe(image.digest);
    expect(value('posture')).toBe('Signed');
    expect(value('signer')).toBe(workflow);
    expect(value('  issuer')).toBe(githubIssuer);
    expect(value('  github')).toBe(
      `repository=acme/app ref=refs/heads/main workflow=release trigger=push sha=${releaseSigner.github.sha}`,
    );
    expect(value('location')).toBe('LegacySigTag');
    expect(value('signature on')).toBe(`this digest (${image.digest})`);
    expect(stdout).not.toMatch(/^(checking reason|detail|note):/m);
  });

  it('key-signed (cosign, both formats): KeySigned with --key, exit 0; Unverifiable without, exit 4', async () => {
    const parsed = parsePublicKey(key.publicKeyPem);
    if ('error' in parsed) throw new Error(parsed.error);
    const { fingerprint } = parsed;
    for (const format of ['legacy', 'bundle'] as const) {
      const image = await pushRandomImage(host, repo(`key-${format}`));
      await cosignSign(image.ref, { key, format });
      const signed = await inspectJson(image.ref, '--key', key.publicKey);
      expect(signed.code, format).toBe(0);
      expect(signed.report).toMatchObject({ posture: 'KeySigned', signedBy: 'Digest' });
      expect(signed.report.signers).toEqual([{ kind: 'Key', fingerprint }]);
      const table = await inspect([image.ref, '--insecure-registry', host, '--key', key.publicKey]);
      expect(table.stdout).toMatch(new RegExp(`^signer: +key ${fingerprint}$`, 'm'));

      const unverifiable = await inspectJson(image.ref);
      expect(unverifiable.code, format).toBe(4);
      expect(unverifiable.report).toMatchObject({ posture: 'Unverifiable', signers: [], exitCode: 4 });
      expect(unverifiable.report.detail).toMatch(/key/);
    }
  });

  it('unsigned: exit 3', async () => {
    const image = await pushRandomImage(host, repo('unsigned'));
    const { code, report } = await inspectJson(image.ref);
    expect(code).toBe(3);
    expect(report).toMatchObject({ posture: 'Unsigned', signers: [], location: null, signedBy: null });
  });

  it('a certificate from an untrusted CA: Unverifiable, exit 4', async () => {
    const image = await pushRandomImage(host, repo('untrusted-ca'));
    await publishLegacySignature(image, await legacy(image, { signer: { ...signer, ca: 'untrusted' } }));
    const { code, report } = await inspectJson(image.ref);
    expect(code).toBe(4);
    expect(report.detail).toMatch(/CA not in trusted root/);
  });

  it('a signature for another digest: Invalid, exit 5, with the reason', async () => {
    const image = await pushRandomImage(host, repo('invalid'));
    const other = `sha256:${randomBytes(32).toString('hex')}`;
    await publishLegacySignature(image, await legacy(image, { claimedDigest: other }));
    const { code, report } = await inspectJson(image.ref);
    expect(code).toBe(5);
    expect(report).toMatchObject({ posture: 'Invalid', location: 'LegacySigTag', signedBy: 'Digest' });
    expect(report.detail).toContain(`payload signs ${other}`);
  });

  it('an unreachable registry: Checking, exit 6, with the reason (by tag and by digest)', async () => {
    const closed = '127.0.0.1:9';
    const digest = `sha256:${'1'.repeat(64)}`;
    for (const ref of [`${closed}/app:v1`, `${closed}/app@${digest}`]) {
      const { code, report } = await inspectJson(ref, '--insecure-registry', closed);
      expect(code, ref).toBe(6);
      expect(report, ref).toMatchObject({ posture: 'Checking', checkingReason: 'Unreachable', exitCode: 6 });
      expect(report.detail).toBeTruthy();
    }
  });

  it('the exit codes are distinct per posture', () => {
    expect(INSPECT_EXIT_CODES).toEqual({
      Signed: 0,
      KeySigned: 0,
      Unsigned: 3,
      Unverifiable: 4,
      Invalid: 5,
      Checking: 6,
    });
  });
});

describe('signwarden inspect: where signatures are', () => {
  it('an index by tag, signed per platform: Signed, carried by the platforms, each listed', async () => {
    const { index, platforms } = await pushMultiArchIndex(host, repo('multi-arch'));
    for (const platform of platforms) await publishLegacySignature(platform, await legacy(platform));
    const ref = await tag(index, 'latest');

    const { code, report } = await inspectJson(`${index.name}`);
    expect(code).toBe(0);
    expect(report).toMatchObject({
      tag: 'latest',
      digest: index.digest,
      mediaType: mediaTypes.index,
      posture: 'Signed',
      signedBy: 'Platforms',
    });
    expect(report.platforms.map((p) => [p.platform, p.digest, p.posture])).toEqual([
      ['linux/amd64', platforms[0]?.digest, 'Signed'],
      ['linux/arm64', platforms[1]?.digest, 'Signed'],
    ]);
    const table = await inspect([
      ref,
      '--trusted-root',
      sigstore.trustedRootPath,
      '--insecure-registry',
      host,
    ]);
    expect(table.stdout).toMatch(/^signature on: +each platform manifest, on its own \(see platforms\)$/m);
    expect(table.stdout).toContain(`platforms:\n  linux/amd64  ${platforms[0]?.digest}  Signed\n`);
  });

  it('an index with an unsigned platform: not Signed, exit 3, the platform shown', async () => {
    const { index, platforms } = await pushMultiArchIndex(host, repo('multi-arch-partial'));
    await publishLegacySignature(platforms[0]!, await legacy(platforms[0]!));
    const { code, report } = await inspectJson(index.ref);
    expect(code).toBe(3);
    expect(report.platforms.map((p) => p.posture)).toEqual(['Signed', 'Unsigned']);
  });

  it('a signature-only mirror: the digest is judged without its manifest, and the output says so', async () => {
    const image = await pushRandomImage(host, repo('mirror-source'));
    const mirror = {
      host,
      repository: repo('mirror'),
      name: `${host}/${repo('mirror')}`,
      digest: image.digest,
    };
    await publishLegacySignature(mirror, await legacy(image));
    const signed = await inspectJson(`${mirror.name}@${image.digest}`);
    expect(signed.code).toBe(0);
    expect(signed.report).toMatchObject({ posture: 'Signed', mediaType: null });
    expect(signed.report.note).toMatch(/image manifest is not available/);

    const unsignedDigest = digestOf(randomBytes(16));
    await publishLegacySignature(
      { ...mirror, digest: unsignedDigest },
      await legacy({ ...mirror, digest: unsignedDigest }, { signer: { ...signer, ca: 'untrusted' } }),
    );
    const unverifiable = await inspect([
      `${mirror.name}@${unsignedDigest}`,
      '--trusted-root',
      sigstore.trustedRootPath,
      '--insecure-registry',
      host,
    ]);
    expect(unverifiable.code).toBe(4);
    expect(unverifiable.stdout).toMatch(/^note: +.*multi-arch step skipped$/m);
  });

  it('--signature-repository: signatures read from there, the manifest from the image repository', async () => {
    const image = await pushRandomImage(host, repo('app'));
    const signatures = repo('signatures');
    await publishLegacySignature({ host, repository: signatures, digest: image.digest }, await legacy(image));
    const elsewhere = await inspectJson(image.ref, '--signature-repository', `${host}/${signatures}`);
    expect(elsewhere.code).toBe(0);
    expect(elsewhere.report).toMatchObject({
      posture: 'Signed',
      signatureRepository: `${host}/${signatures}`,
      mediaType: mediaTypes.manifest,
    });
    expect((await inspectJson(image.ref)).code).toBe(3);
  });
});

describe('signwarden inspect: registry credentials (--docker-config)', () => {
  const auth = { username: 'inspector', password: randomBytes(8).toString('hex') };
  let secured: Registry;
  beforeAll(async () => {
    secured = await startRegistry({ auth });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  const authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;

  async function put(
    path: string,
    body: Buffer | string,
    contentType: string,
    method = 'PUT',
  ): Promise<Response> {
    const res = await fetch(`${secured.url}${path}`, {
      method,
      body,
      headers: { authorization, 'content-type': contentType },
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  }

  async function pushBlob(repository: string, content: Buffer | string): Promise<string> {
    const started = await put(`/v2/${repository}/blobs/uploads/`, '', 'application/octet-stream', 'POST');
    const upload = new URL(started.headers.get('location') ?? '', secured.url);
    const digest = digestOf(content);
    upload.searchParams.set('digest', digest);
    await put(`${upload.pathname}${upload.search}`, content, 'application/octet-stream');
    return digest;
  }

  async function pushManifest(repository: string, manifest: Manifest, reference?: string): Promise<string> {
    const body = JSON.stringify(manifest);
    await put(`/v2/${repository}/manifests/${reference ?? digestOf(body)}`, body, manifest.mediaType ?? '');
    return digestOf(body);
  }

  /** An image and its legacy signature, pushed with credentials. */
  async function pushSignedImage(repository: string): Promise<string> {
    const config = '{"architecture":"amd64","os":"linux"}';
    const layer = randomBytes(32);
    const digest = await pushManifest(repository, {
      schemaVersion: 2,
      mediaType: mediaTypes.manifest,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: await pushBlob(repository, config),
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: await pushBlob(repository, layer),
          size: layer.length,
        },
      ],
    });
    const signature: LegacySignature = await legacy({ name: `${secured.host}/${repository}`, digest });
    await pushBlob(repository, signature.payload);
    const sigConfig = '{}';
    await pushManifest(
      repository,
      {
        schemaVersion: 2,
        mediaType: mediaTypes.manifest,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: await pushBlob(repository, sigConfig),
          size: 2,
        },
        layers: [signature.layer],
      },
      signatureTag(digest),
    );
    return digest;
  }

  it('without credentials: Checking (AuthFailed), exit 6, never Unsigned; with them: Signed', async () => {
    const repository = 'private/app';
    const digest = await pushSignedImage(repository);
    const ref = `${secured.host}/${repository}@${digest}`;
    const flags = [
      '--trusted-root',
      sigstore.trustedRootPath,
      '--insecure-registry',
      secured.host,
      '--output',
      'json',
    ];

    const anonymous = await inspect([ref, ...flags]);
    expect(anonymous.code).toBe(6);
    expect(JSON.parse(anonymous.stdout)).toMatchObject({ posture: 'Checking', checkingReason: 'AuthFailed' });

    const config = join(scratch, 'config.json');
    await writeFile(
      config,
      JSON.stringify({ auths: { [secured.host]: { auth: authorization.slice('Basic '.length) } } }),
    );
    const authenticated = await inspect([ref, ...flags, '--docker-config', config]);
    expect(authenticated.stderr).toBe('');
    expect(authenticated.code).toBe(0);
    expect(JSON.parse(authenticated.stdout)).toMatchObject({
      posture: 'Signed',
      mediaType: mediaTypes.manifest,
    });
    // No credential ever appears in the output.
    expect(authenticated.stdout + anonymous.stdout + anonymous.stderr).not.toContain(auth.password);

    const wrong = join(scratch, 'wrong.json');
    await writeFile(
      wrong,
      JSON.stringify({ auths: { [secured.host]: { username: auth.username, password: 'nope' } } }),
    );
    const refused = await inspect([ref, ...flags, '--docker-config', wrong]);
    expect(refused.code).toBe(6);
    expect(JSON.parse(refused.stdout)).toMatchObject({ checkingReason: 'AuthFailed' });
  });
});

describe('signwarden inspect: the command line', () => {
  it.each([
    ['no image', []],
    ['two images', ['a/b:1', 'c/d:2']],
    ['an invalid reference', ['Not/A:Valid Ref']],
    ['an unknown flag', ['a/b:1', '--bogus']],
    ['an unknown output', ['a/b:1', '--output', 'yaml']],
    ['a missing trusted root', ['a/b:1', '--trusted-root', '/nonexistent/trusted_root.json']],
    ['a key that is not a public key', ['a/b:1', '--key', fileURLToPath(import.meta.url)]],
    ['a docker config that is not JSON', ['a/b:1', '--docker-config', fileURLToPath(import.meta.url)]],
    ['an insecure registry that is not a host', ['a/b:1', '--insecure-registry', 'http://x/']],
    ['a signature repository with a tag', ['a/b:1', '--signature-repository', 'ghcr.io/a/sigs:v1']],
  ])('exit 2 and one line for %s', async (_name, argv) => {
    const { code, stdout, stderr } = await inspect(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^signwarden inspect: [^\n]+\n$/);
  });

  it('a tag that does not exist: exit 1, one line, no stack', async () => {
    const image = await pushRandomImage(host, repo('no-such-tag'));
    const { code, stdout, stderr } = await inspect([`${image.name}:nope`, '--insecure-registry', host]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^signwarden inspect: cannot resolve tag nope: [^\n]+\n$/);
  });

  it('--help prints the usage', async () => {
    const { code, stdout } = await inspect(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: signwarden inspect IMAGE /);
  });

  it('the real command exits with the posture code', async () => {
    const image = await pushRandomImage(host, repo('process'));
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    const exit = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [main, 'inspect', image.ref, '--insecure-registry', host],
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      );
    });
    expect(exit.stderr).toBe('');
    expect(exit.code).toBe(3);
    expect(exit.stdout).toMatch(/^posture: +Unsigned$/m);
  });
});

describe('signwarden inspect: untrusted text in the output', () => {
  const hostile: InspectReport = {
    image: 'registry.example/app@sha256:' + 'a'.repeat(64),
    repository: 'registry.example/app',
    tag: null,
    digest: `sha256:${'a'.repeat(64)}`,
    mediaType: mediaTypes.manifest,
    signatureRepository: null,
    trustedRoot: 'public-good',
    posture: 'Signed',
    signers: [
      {
        kind: 'Keyless',
        identity: 'dev@example.com\u202e\nposture: Invalid',
        issuer: 'https://issuer.example\u0007',
        github: { workflowRef: 'refs/heads/main\u2028x' },
      },
    ],
    location: 'LegacySigTag',
    signedDigest: `sha256:${'a'.repeat(64)}`,
    signedBy: 'Digest',
    checkingReason: null,
    detail: null,
    note: null,
    platforms: [{ digest: `sha256:${'b'.repeat(64)}`, platform: 'linux/\u200bamd64', posture: 'Signed' }],
    exitCode: 0,
  };
  /** Characters that can disguise text on a terminal (the line feeds between lines aside). */
  const disguising = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

  it('the table escapes identities, issuers, claims and platforms: one line each, nothing invisible', () => {
    const table = renderTable(hostile);
    expect(table.replaceAll('\n', '')).not.toMatch(disguising);
    expect(table.match(/^posture:/gm)).toHaveLength(1);
    expect(table).toContain('dev@example.com\\u202e\\nposture: Invalid');
  });

  it('the JSON escapes them too, and still reads back as the same values', () => {
    const json = renderJson(hostile);
    expect(json).toMatch(/\}\n$/);
    expect(json.slice(0, -1)).not.toMatch(disguising);
    expect(JSON.parse(json)).toEqual(hostile);
  });
});
