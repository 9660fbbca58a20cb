import type { KeyObject } from 'node:crypto';
import { X509Certificate, generateKeyPair } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { der, openssl, opensslTime } from './openssl.ts';

// A Fulcio-like certificate authority for a test Sigstore: a root and an intermediate (both ECDSA
// P-256), and short-lived leaf certificates carrying the Fulcio extensions. Certificates are made
// by the openssl CLI (`openssl ca`, which takes exact validity start and end times).

/** Fulcio's certificate extensions: https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md */
export const fulcioOids = {
  /** OIDC issuer (v1), raw bytes. */
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  githubWorkflowTrigger: '1.3.6.1.4.1.57264.1.2',
  githubWorkflowSha: '1.3.6.1.4.1.57264.1.3',
  githubWorkflowName: '1.3.6.1.4.1.57264.1.4',
  githubWorkflowRepository: '1.3.6.1.4.1.57264.1.5',
  githubWorkflowRef: '1.3.6.1.4.1.57264.1.6',
  /** OIDC issuer (v2), a DER UTF8String, like every extension from .1.8 on. */
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildSignerUri: '1.3.6.1.4.1.57264.1.9',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
} as const;

/** The GitHub workflow claims Fulcio puts in the deprecated raw extensions .1.2 to .1.6. */
export type GitHubClaims = {
  trigger?: string;
  sha?: string;
  workflowName?: string;
  repository?: string;
  ref?: string;
};

export type LeafOptions = {
  /** The identity: an email address (rfc822Name SAN) or a URI (URI SAN), e.g. a workflow URL. */
  subject: string;
  /** The OIDC issuer, in extensions .1.1 (raw) and .1.8 (UTF8String). */
  issuer: string;
  github?: GitHubClaims;
  /** More extensions from .1.8 on, each a DER UTF8String: OID to value. */
  extensions?: Record<string, string>;
  /**
   * The extended key usage: true (default) codeSigning, as Fulcio issues; false leaves the extension
   * out; a list names other usages in openssl's words (e.g. ['serverAuth']).
   */
  eku?: boolean | string[];
  /** Start of validity; default 30 s ago. */
  notBefore?: Date;
  /** Lifetime; default 10 minutes, as Fulcio's. */
  lifetimeSeconds?: number;
};

/** A leaf certificate and its private key. */
export type Leaf = {
  cert: X509Certificate;
  /** PEM, as in cosign's `dev.sigstore.cosign/certificate` annotation. */
  certPem: string;
  certDer: Buffer;
  privateKey: KeyObject;
  /** PEM of the issuing intermediate then the root, as in cosign's `dev.sigstore.cosign/chain`. */
  chainPem: string;
  notBefore: Date;
  notAfter: Date;
};

export type CertificateAuthority = {
  dir: string;
  root: X509Certificate;
  intermediate: X509Certificate;
  /** DER of the intermediate then the root: a trusted root's `certChain`, leaf-most first. */
  chainDer: Buffer[];
  chainPem: string;
  notBefore: Date;
  notAfter: Date;
  issueLeaf(opts: LeafOptions): Promise<Leaf>;
};

const newKeyPair = promisify(generateKeyPair);

/**
 * Creates a root and an intermediate CA in `dir`, valid from `notBefore` to `notAfter`. Two
 * authorities made with the same `name` have the same distinguished names but different keys.
 */
export async function createCertificateAuthority(
  dir: string,
  opts: { name?: string; notBefore: Date; notAfter: Date },
): Promise<CertificateAuthority> {
  await mkdir(dir, { recursive: true });
  const name = opts.name ?? 'signwarden.test';
  const validity = { start: opts.notBefore, end: opts.notAfter };
  const rootKey = join(dir, 'root.key');
  const intermediateKey = join(dir, 'intermediate.key');
  await Promise.all([writeNewKey(rootKey), writeNewKey(intermediateKey)]);
  const rootCert = await issue(dir, {
    key: rootKey,
    subject: `/O=${name}/CN=sigstore`,
    issuer: { key: rootKey }, // self-signed
    validity,
    extensions: [
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier = hash',
    ],
  });
  const intermediateCert = await issue(dir, {
    key: intermediateKey,
    subject: `/O=${name}/CN=sigstore-intermediate`,
    issuer: { key: rootKey, cert: rootCert },
    validity,
    extensions: [
      'basicConstraints = critical,CA:TRUE,pathlen:0',
      'keyUsage = critical,keyCertSign,cRLSign',
      'extendedKeyUsage = codeSigning',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
    ],
  });
  const root = new X509Certificate(await readFile(rootCert));
  const intermediate = new X509Certificate(await readFile(intermediateCert));
  const chainPem = intermediate.toString() + root.toString();

  const issueLeaf = async (leaf: LeafOptions): Promise<Leaf> => {
    const leafDir = await mkdtemp(join(dir, 'leaf-'));
    const { privateKey } = await newKeyPair('ec', { namedCurve: 'P-256' });
    const key = join(leafDir, 'leaf.key');
    await writeFile(key, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const notBefore = leaf.notBefore ?? new Date(Date.now() - 30_000);
    const notAfter = new Date(notBefore.getTime() + (leaf.lifetimeSeconds ?? 600) * 1000);
    const certFile = await issue(leafDir, {
      key,
      subject: '/', // Fulcio leaves have an empty subject: the identity is the SAN
      issuer: { key: intermediateKey, cert: intermediateCert },
      validity: { start: notBefore, end: notAfter },
      extensions: leafExtensions(leaf),
    });
    const cert = new X509Certificate(await readFile(certFile));
    return {
      cert,
      certPem: cert.toString(),
      certDer: cert.raw,
      privateKey,
      chainPem,
      notBefore: new Date(cert.validFrom),
      notAfter: new Date(cert.validTo),
    };
  };

  return {
    dir,
    root,
    intermediate,
    chainDer: [intermediate.raw, root.raw],
    chainPem,
    notBefore: new Date(root.validFrom),
    notAfter: new Date(root.validTo),
    issueLeaf,
  };
}

function leafExtensions(leaf: LeafOptions): string[] {
  const hex = (content: Uint8Array) => Buffer.from(content).toString('hex');
  const raw = (value: string) => `DER:${hex(Buffer.from(value, 'utf8'))}`;
  const utf8String = (value: string) => `DER:${hex(der(0x0c, Buffer.from(value, 'utf8')))}`;
  // SubjectAltName: GeneralNames with one rfc822Name [1] or uniformResourceIdentifier [6]. Critical,
  // as the subject is empty. Written as DER so that no character of the identity needs escaping.
  const email = !leaf.subject.includes('://') && leaf.subject.includes('@');
  const san = der(0x30, der(email ? 0x81 : 0x86, Buffer.from(leaf.subject, 'ascii')));
  const eku = leaf.eku ?? true;
  const github: [string, string | undefined][] = [
    [fulcioOids.githubWorkflowTrigger, leaf.github?.trigger],
    [fulcioOids.githubWorkflowSha, leaf.github?.sha],
    [fulcioOids.githubWorkflowName, leaf.github?.workflowName],
    [fulcioOids.githubWorkflowRepository, leaf.github?.repository],
    [fulcioOids.githubWorkflowRef, leaf.github?.ref],
  ];
  return [
    'keyUsage = critical,digitalSignature',
    ...(eku === true ? ['extendedKeyUsage = codeSigning'] : []),
    ...(Array.isArray(eku) && eku.length ? [`extendedKeyUsage = ${eku.join(',')}`] : []),
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    `subjectAltName = critical,DER:${hex(san)}`,
    `${fulcioOids.issuerV1} = ${raw(leaf.issuer)}`,
    ...github.flatMap(([oid, value]) => (value === undefined ? [] : [`${oid} = ${raw(value)}`])),
    `${fulcioOids.issuer} = ${utf8String(leaf.issuer)}`,
    ...Object.entries(leaf.extensions ?? {}).map(([oid, value]) => `${oid} = ${utf8String(value)}`),
  ];
}

async function writeNewKey(path: string): Promise<void> {
  const { privateKey } = await newKeyPair('ec', { namedCurve: 'P-256' });
  await writeFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
}

let issued = 0;

/**
 * Issues a certificate for the key in `opts.key` with `openssl ca`, in its own database under
 * `dir`, and returns the path of the PEM certificate. Without `issuer.cert`, self-signed.
 */
async function issue(
  dir: string,
  opts: {
    key: string;
    subject: string;
    issuer: { key: string; cert?: string };
    validity: { start: Date; end: Date };
    extensions: string[];
  },
): Promise<string> {
  const base = join(dir, `cert-${++issued}`);
  await mkdir(`${base}.d/certs`, { recursive: true });
  await writeFile(`${base}.d/index.txt`, '');
  const config = `${base}.d/ca.cnf`;
  await writeFile(
    config,
    [
      '[ca]',
      'default_ca = this',
      '[this]',
      `database = ${base}.d/index.txt`,
      `new_certs_dir = ${base}.d/certs`,
      'rand_serial = yes',
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      'email_in_dn = no',
      'copy_extensions = none',
      '[any]',
      '[extensions]',
      ...opts.extensions,
      '',
    ].join('\n'),
  );
  await openssl(dir, 'req', '-new', '-key', opts.key, '-subj', opts.subject, '-out', `${base}.csr`);
  await openssl(
    dir,
    ...['ca', '-config', config, '-batch', '-notext', '-preserveDN', '-extensions', 'extensions'],
    ...['-startdate', opensslTime(opts.validity.start), '-enddate', opensslTime(opts.validity.end)],
    ...['-keyfile', opts.issuer.key, ...(opts.issuer.cert ? ['-cert', opts.issuer.cert] : ['-selfsign'])],
    ...['-in', `${base}.csr`, '-out', `${base}.crt`],
  );
  return `${base}.crt`;
}
