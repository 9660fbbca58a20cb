import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Paths of a PEM certificate and its private key. */
export type CertKey = { cert: string; key: string };

export type Pki = {
  ca: CertKey;
  apiserver: CertKey;
  /** Key pair that signs (private) and verifies (public) service-account tokens. */
  serviceAccount: { key: string; pub: string };
  /** In group system:masters, so allowed everything. */
  admin: CertKey;
  controllerManager: CertKey;
};

const execFileAsync = promisify(execFile);

// The `kubernetes` Service's names, and its address: the first of --service-cluster-ip-range.
const apiserverNames = ['IP:127.0.0.1', 'IP:10.0.0.1', 'DNS:localhost', 'DNS:kubernetes']
  .concat(['default', 'default.svc', 'default.svc.cluster.local'].map((s) => `DNS:kubernetes.${s}`))
  .join(',');

/** Generates, with the openssl CLI, the certificates and keys of a one-node control plane into `dir`. */
export async function generatePki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true });
  // An empty config, so that only -subj and -addext define what a certificate holds, whatever the
  // system's openssl.cnf adds by default.
  const config = join(dir, 'openssl.cnf');
  await writeFile(config, '[req]\ndistinguished_name = dn\n[dn]\n');
  const openssl = async (...args: string[]) => {
    try {
      await execFileAsync('openssl', args, { env: { ...process.env, OPENSSL_CONF: config } });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? String(err);
      throw new Error(`openssl ${args.join(' ')} failed: ${stderr}`, { cause: err });
    }
  };
  // ECDSA P-256 keys: generated in milliseconds, and accepted everywhere Kubernetes takes a key.
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const issue = async (name: string, subject: string, extensions: string[], issuer?: CertKey) => {
    const out = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
    await openssl(
      ...['req', '-x509', '-days', '365', ...ecKey, '-subj', subject, '-keyout', out.key, '-out', out.cert],
      ...(issuer ? ['-CA', issuer.cert, '-CAkey', issuer.key] : []), // self-signed without
      ...extensions.flatMap((extension) => ['-addext', extension]),
    );
    return out;
  };
  const ca = await issue('ca', '/CN=signwarden-ca', [
    'basicConstraints=critical,CA:TRUE',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const leaf = (name: string, subject: string, usage: string, ...more: string[]) =>
    issue(name, subject, ['keyUsage=critical,digitalSignature', `extendedKeyUsage=${usage}`, ...more], ca);

  const serviceAccount = { key: join(dir, 'sa.key'), pub: join(dir, 'sa.pub') };
  const [apiserver, admin, controllerManager] = await Promise.all([
    leaf('apiserver', '/CN=kube-apiserver', 'serverAuth', `subjectAltName=${apiserverNames}`),
    leaf('admin', '/O=system:masters/CN=signwarden-admin', 'clientAuth'),
    leaf('controller-manager', '/CN=system:kube-controller-manager', 'clientAuth'),
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', serviceAccount.key),
  ]);
  await openssl('pkey', '-in', serviceAccount.key, '-pubout', '-out', serviceAccount.pub);
  return { ca, apiserver, serviceAccount, admin, controllerManager };
}
