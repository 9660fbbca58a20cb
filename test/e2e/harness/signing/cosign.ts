import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaries } from '../binaries.ts';
import { onExit } from '../cleanup.ts';

// The cosign CLI (built by hack/tools/build.sh), offline, against the test registry (plain HTTP):
// no transparency log upload, no TUF signing config, no Fulcio. Any attempt to reach a network
// service fails at once: HTTP(S)_PROXY point at a closed port (loopback is never proxied).

export type CosignResult = { code: number; stdout: string; stderr: string };

/** 'legacy': the `sha256-<hex>.sig` tag; 'bundle': a Sigstore bundle v0.3 in an OCI referrer. */
export type SignatureFormat = 'legacy' | 'bundle';

const password = 'signwarden-test';

let home: Promise<string> | undefined;

/** A private HOME (and TUF cache) for cosign, removed on exit. */
function cosignHome(): Promise<string> {
  home ??= mkdtemp(join(tmpdir(), 'signwarden-cosign-home-')).then((dir) => {
    onExit(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  });
  return home;
}

/** Runs cosign with `args`; never throws for a non-zero exit code. */
export async function runCosign(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CosignResult> {
  const { cosign } = await binaries();
  const dir = await cosignHome();
  return new Promise((resolve, reject) => {
    execFile(
      cosign,
      args,
      {
        cwd: opts.cwd ?? dir,
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: dir,
          TUF_ROOT: join(dir, '.sigstore', 'root'),
          HTTP_PROXY: 'http://127.0.0.1:9',
          HTTPS_PROXY: 'http://127.0.0.1:9',
          ...opts.env,
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : undefined) : 0;
        if (code === undefined) reject(new Error(`cosign ${args.join(' ')}: ${err?.message}\n${stderr}`));
        else resolve({ code, stdout, stderr });
      },
    );
  });
}

function check(what: string, result: CosignResult): CosignResult {
  if (result.code !== 0) throw new Error(`${what} failed (exit code ${result.code}):\n${result.stderr}`);
  return result;
}

export type CosignKeyPair = {
  dir: string;
  /** Path of the encrypted private key (cosign.key); its password is `password`. */
  privateKey: string;
  /** Path of the public key (cosign.pub, PEM SPKI). */
  publicKey: string;
  publicKeyPem: string;
  password: string;
  remove(): Promise<void>;
};

/** `cosign generate-key-pair` in a new temporary directory. */
export async function cosignKeyPair(): Promise<CosignKeyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'signwarden-cosign-key-'));
  const cancel = onExit(() => rmSync(dir, { recursive: true, force: true }));
  check(
    'cosign generate-key-pair',
    await runCosign(['generate-key-pair'], { cwd: dir, env: { COSIGN_PASSWORD: password } }),
  );
  const publicKey = join(dir, 'cosign.pub');
  return {
    dir,
    privateKey: join(dir, 'cosign.key'),
    publicKey,
    publicKeyPem: await readFile(publicKey, 'utf8'),
    password,
    remove: async () => {
      cancel();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export type CosignSignOptions = {
  key: CosignKeyPair;
  format: SignatureFormat;
  /** `-a key=value`: into the simple-signing payload's `optional`, or the statement subject's annotations. */
  annotations?: Record<string, string>;
  /** For an index: also sign each platform image. */
  recursive?: boolean;
  /** COSIGN_DOCKER_MEDIA_TYPES=1: the legacy signature manifest with Docker media types. */
  dockerMediaTypes?: boolean;
};

/** The flags that keep `cosign sign` offline and on the plain-HTTP test registry. */
export const offlineSignFlags = [
  '--tlog-upload=false',
  '--use-signing-config=false',
  '--allow-http-registry',
  '--yes',
];

/**
 * Signs `imageRef` (host/repo@sha256:...) with a cosign key pair, in the given format, and pushes
 * the signature to the image's repository. Throws if cosign fails.
 */
export async function cosignSign(imageRef: string, opts: CosignSignOptions): Promise<CosignResult> {
  const args = [
    'sign',
    '--key',
    opts.key.privateKey,
    `--new-bundle-format=${opts.format === 'bundle'}`,
    ...offlineSignFlags,
    ...(opts.recursive ? ['--recursive'] : []),
    ...Object.entries(opts.annotations ?? {}).flatMap(([key, value]) => ['-a', `${key}=${value}`]),
    imageRef,
  ];
  const env = {
    COSIGN_PASSWORD: opts.key.password,
    ...(opts.dockerMediaTypes && { COSIGN_DOCKER_MEDIA_TYPES: '1' }),
  };
  return check(`cosign ${args.join(' ')}`, await runCosign(args, { env }));
}

export type CosignVerifyOptions = {
  /**
   * 'legacy' verifies the `.sig` signatures only (--new-bundle-format=false). 'bundle' is cosign's
   * default: bundles if the image has any, else the legacy signatures; `ok` then also requires that
   * bundles were what verified.
   */
  format: SignatureFormat;
} & (
  | { key: CosignKeyPair | string }
  | {
      /** Path of a trusted_root.json (e.g. the test Sigstore's). */
      trustedRoot: string;
      /** The certificate's SAN, matched exactly. */
      identity: string;
      /** The OIDC issuer, matched exactly. */
      issuer: string;
    }
);

/** What `cosign verify` printed for each verified signature (simple-signing layout). */
export type VerifiedPayload = {
  critical: {
    identity: { 'docker-reference': string };
    image: { 'docker-manifest-digest': string };
    type: string;
  };
  optional: Record<string, unknown> | null;
};

export type CosignVerifyResult = CosignResult & {
  ok: boolean;
  payloads: VerifiedPayload[];
  /** Which format verified: cosign reports a bundle's signature with type https://sigstore.dev/cosign/sign/v1. */
  format?: SignatureFormat;
};

/**
 * `cosign verify` of `imageRef`, offline: with a public key (tlog ignored: key-signed test
 * signatures are not logged), or keyless against a trusted_root.json (certificate chain, SET and
 * inclusion proof checked offline; SCTs ignored: the test Sigstore has no CT log).
 */
export async function cosignVerify(imageRef: string, opts: CosignVerifyOptions): Promise<CosignVerifyResult> {
  const args = [
    'verify',
    ...('key' in opts
      ? ['--key', typeof opts.key === 'string' ? opts.key : opts.key.publicKey, '--insecure-ignore-tlog=true']
      : [
          ...['--trusted-root', opts.trustedRoot],
          ...['--certificate-identity', opts.identity, '--certificate-oidc-issuer', opts.issuer],
          '--insecure-ignore-sct=true',
        ]),
    `--new-bundle-format=${opts.format === 'bundle'}`,
    '--allow-http-registry',
    '--output=json',
    imageRef,
  ];
  const result = await runCosign(args);
  let payloads: VerifiedPayload[] = [];
  if (result.code === 0) payloads = JSON.parse(result.stdout) as VerifiedPayload[];
  const types = new Set(payloads.map((payload) => payload.critical.type));
  const format = types.has('https://sigstore.dev/cosign/sign/v1')
    ? 'bundle'
    : types.has('cosign container image signature')
      ? 'legacy'
      : undefined;
  return { ...result, ok: result.code === 0 && format === opts.format, payloads, ...(format && { format }) };
}
