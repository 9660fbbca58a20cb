// Where a registry named as in image references is reached: Docker Hub's alias, https unless the
// registry was configured insecure, and the repository path Docker Hub expects.
import { isRegistryHost, isRepositoryName } from './names.ts';

export interface RepositoryRef {
  /** host[:port] as in image references; `docker.io` is Docker Hub. */
  registry: string;
  /** The repository path, e.g. `acme/api`. */
  repository: string;
}

export interface Endpoint {
  /** The registry as named (lowercased): the key of credentials, limits, caches and metrics. */
  registry: string;
  /** scheme://host[:port] the requests go to: the only origin that is sent credentials. */
  origin: string;
  /** The repository as the registry names it in URLs (`library/` added for Docker Hub's official images). */
  repository: string;
}

const DOCKER_HUB_NAMES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const DOCKER_HUB_API = 'registry-1.docker.io';

/** Throws RangeError on a malformed registry or repository name: they end up in URLs. */
export function endpointOf(ref: RepositoryRef, insecureRegistries: ReadonlySet<string>): Endpoint {
  if (!isRegistryHost(ref.registry))
    throw new RangeError(`not a registry host: ${JSON.stringify(ref.registry.slice(0, 80))}`);
  if (!isRepositoryName(ref.repository))
    throw new RangeError(`not a repository name: ${JSON.stringify(ref.repository.slice(0, 80))}`);
  const registry = ref.registry.toLowerCase();
  const dockerHub = DOCKER_HUB_NAMES.has(registry);
  const host = dockerHub ? DOCKER_HUB_API : registry;
  const scheme = insecureRegistries.has(registry) ? 'http' : 'https';
  const repository =
    dockerHub && !ref.repository.includes('/') ? `library/${ref.repository}` : ref.repository;
  return { registry: dockerHub ? 'docker.io' : registry, origin: `${scheme}://${host}`, repository };
}
