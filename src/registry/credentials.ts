// Registry credentials: who supplies them (a CredentialProvider), and reading them from the
// contents of a kubernetes.io/dockerconfigjson (or legacy dockercfg) Secret, as the kubelet does for
// imagePullSecrets. Later code chains providers: the Pod's pull secrets, its ServiceAccount's, the
// operator's, then anonymous. Credential values never appear in errors or messages.
import { z } from 'zod';
import { isRegistryHost } from './names.ts';

/** A username and password (basic, or exchanged for a token), or a bearer token sent to the registry as is. */
export type Credentials = { username: string; password: string } | { registryToken: string };

/**
 * Credentials for a registry (host[:port] as in image references, `docker.io` for Docker Hub), or
 * undefined for anonymous access. `repository`, when given, lets entries scoped to a path match.
 */
export type CredentialProvider = (registry: string, repository?: string) => Promise<Credentials | undefined>;

export const anonymous: CredentialProvider = () => Promise.resolve(undefined);

/** The first provider's answer that is not undefined. */
export function chainCredentialProviders(...providers: CredentialProvider[]): CredentialProvider {
  return async (registry, repository) => {
    for (const provider of providers) {
      const found = await provider(registry, repository);
      if (found) return found;
    }
    return undefined;
  };
}

const DOCKER_HUB_ALIASES = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

/** The registry name credentials are keyed by: lowercased, Docker Hub's aliases all `docker.io`. */
export function credentialKey(registry: string): string {
  const host = registry.toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? 'docker.io' : host;
}

export interface DockerConfigEntry {
  /** As credentialKey() makes it. */
  registry: string;
  /** A repository path prefix the entry is limited to (`ghcr.io/acme` → `acme`), or '' for the whole registry. */
  path: string;
  credentials: Credentials;
}

const entrySchema = z.looseObject({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  registrytoken: z.string().optional(),
});
const dockerConfigSchema = z.record(z.string(), z.unknown());

/**
 * The entries of a dockerconfigjson (`{"auths": {"<registry>": {...}}}`) or of a legacy dockercfg
 * (the same map without `auths`). Keys may be URLs (`https://index.docker.io/v1/`) and carry a path;
 * an entry is `auth` (base64 `user:password`, preferred), or `username` and `password`, or
 * `registrytoken`. Entries that are none of these, or whose key is not a registry (wildcards), are
 * skipped. Throws an Error, naming no value, when the contents are not a JSON object.
 */
export function parseDockerConfig(contents: string | Uint8Array | object): DockerConfigEntry[] {
  let json: unknown = contents;
  if (typeof contents === 'string' || contents instanceof Uint8Array) {
    try {
      json = JSON.parse(typeof contents === 'string' ? contents : Buffer.from(contents).toString('utf8'));
    } catch {
      throw new Error('docker config is not valid JSON');
    }
  }
  const config = dockerConfigSchema.safeParse(json);
  if (!config.success) throw new Error('docker config is not a JSON object');
  const auths = 'auths' in config.data ? dockerConfigSchema.safeParse(config.data.auths) : config;
  if (!auths.success) throw new Error('docker config: "auths" is not an object');

  const entries: DockerConfigEntry[] = [];
  for (const [key, value] of Object.entries(auths.data)) {
    const where = parseKey(key);
    const entry = entrySchema.safeParse(value);
    if (!where || !entry.success) continue;
    const credentials = credentialsOf(entry.data);
    if (credentials) entries.push({ ...where, credentials });
  }
  return entries;
}

/** A provider answering from a dockerconfigjson's entries: the longest path prefix of the repository wins. */
export function dockerConfigCredentials(contents: string | Uint8Array | object): CredentialProvider {
  const entries = parseDockerConfig(contents);
  return (registry, repository) => {
    const key = credentialKey(registry);
    let best: DockerConfigEntry | undefined;
    for (const entry of entries) {
      if (entry.registry !== key) continue;
      const matches =
        entry.path === '' ||
        (repository !== undefined && (repository === entry.path || repository.startsWith(`${entry.path}/`)));
      if (matches && (!best || entry.path.length > best.path.length)) best = entry;
    }
    return Promise.resolve(best?.credentials);
  };
}

function parseKey(key: string): { registry: string; path: string } | undefined {
  const bare = key.trim().replace(/^https?:\/\//i, '');
  const slash = bare.indexOf('/');
  const host = slash < 0 ? bare : bare.slice(0, slash);
  let path = slash < 0 ? '' : bare.slice(slash + 1).replace(/\/+$/, '');
  // `https://index.docker.io/v1/`, `ghcr.io/v2/`: API paths, not repository paths.
  if (path === 'v1' || path === 'v2') path = '';
  if (!isRegistryHost(host)) return undefined;
  return { registry: credentialKey(host), path };
}

function credentialsOf(entry: z.infer<typeof entrySchema>): Credentials | undefined {
  if (entry.auth) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(entry.auth)) return undefined;
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return undefined;
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username) return { username: entry.username, password: entry.password ?? '' };
  if (entry.registrytoken) return { registryToken: entry.registrytoken };
  return undefined;
}
