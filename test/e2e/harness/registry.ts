import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { binaries } from './binaries.ts';
import { freePorts } from './ports.ts';
import type { GroupOptions } from './processes.ts';
import { ProcessGroup } from './processes.ts';

export type Registry = {
  /** Directory holding the stored blobs, the log, the pid file and (distribution) the configuration. */
  dir: string;
  /** 127.0.0.1:PORT, as in image references. */
  host: string;
  /** http://127.0.0.1:PORT */
  url: string;
  stop(): Promise<void>;
};

/**
 * Which registry program: CNCF distribution (the default), which stores OCI 1.1 artifacts but has no
 * referrers API, or go-containerregistry's (`ggcr`), which serves the referrers API.
 */
export type RegistryImplementation = 'distribution' | 'ggcr';

export type RegistryOptions = GroupOptions &
  (
    | {
        implementation?: 'distribution';
        /** Require HTTP basic authentication as this user. */
        auth?: { username: string; password: string };
      }
    | { implementation: 'ggcr' }
  );

/**
 * Starts a registry on a loopback port, plain HTTP. distribution: blobs and manifests on disk,
 * deletes enabled, optional basic authentication. ggcr: blobs on disk, manifests and tags in memory,
 * no authentication, the OCI referrers API.
 */
export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
  const bin = await binaries();
  const group = new ProcessGroup(opts);
  return group.up(async () => {
    const { dir } = group;
    const [port] = await freePorts(1);
    const host = `127.0.0.1:${port}`;
    const url = `http://${host}`;
    let ready = 200;
    if (opts.implementation === 'ggcr') {
      await group.start('registry', bin.ggcrRegistry, ['-address', host, '-disk', join(dir, 'data')]);
    } else {
      await startDistribution(group, bin.registry, host, opts.auth);
      if (opts.auth) ready = 401;
    }
    await group.waitFor(
      `${url}/v2/`,
      async () => {
        const { status } = await fetch(`${url}/v2/`);
        if (status !== ready) throw new Error(`status ${status}, want ${ready}`);
      },
      'registry',
      30_000,
    );
    return { dir, host, url, stop: () => group.stop() };
  });
}

async function startDistribution(
  group: ProcessGroup,
  command: string,
  host: string,
  auth: { username: string; password: string } | undefined,
): Promise<void> {
  const { dir } = group;
  const htpasswd = join(dir, 'htpasswd');
  if (auth) await writeFile(htpasswd, `${auth.username}:${await bcrypt(auth.password)}\n`);
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    stringify({
      version: '0.1',
      log: { level: 'info' },
      storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
      // The secret signs upload state; set, so the registry does not warn about a random one.
      http: { addr: host, secret: randomBytes(16).toString('hex') },
      ...(auth && { auth: { htpasswd: { realm: 'signwarden', path: htpasswd } } }),
    }),
  );
  // The registry traces every request and by default exports the traces to an OTLP collector on
  // localhost: there is none.
  await group.start('registry', command, ['serve', config], { OTEL_TRACES_EXPORTER: 'none' });
}

/**
 * A bcrypt hash, the only kind the registry's htpasswd file takes. Made by the C library's crypt()
 * (Debian's libxcrypt does bcrypt) through perl, both part of every Debian system, so that neither
 * apache2-utils' htpasswd nor a bcrypt package is needed.
 */
async function bcrypt(password: string): Promise<string> {
  const alphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const salt = Array.from(randomBytes(22), (byte) => alphabet[byte % 64]).join('');
  // Cost 4, the least: the registry checks the password on every request.
  const setting = `$2b$04$${salt}`;
  const { stdout } = await promisify(execFile)('perl', [
    '-e',
    'print crypt($ARGV[0], $ARGV[1])',
    password,
    setting,
  ]);
  if (!stdout.startsWith('$2b$'))
    throw new Error(`crypt() here cannot make bcrypt hashes: it returned ${stdout}`);
  return stdout;
}
