// Counts every request this process makes to the API server by verb and resource, so that "steady
// state writes nothing" can be measured from outside: the patch, create and delete counts stay flat.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Counter } from 'prom-client';

const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** The verb and resource of a request, as the API server's audit log names them. */
export function requestLabels(method: string, url: string): { verb: string; resource: string } {
  const { pathname, searchParams } = new URL(url, 'http://api');
  // /api/v1/[namespaces/NS/]RESOURCE[/NAME[/SUBRESOURCE]] or /apis/GROUP/VERSION/[namespaces/NS/]...
  const parts = pathname.split('/').filter(Boolean);
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length > 2) rest = rest.slice(2);
  const resource = [rest[0] ?? '', rest[2] ?? ''].filter(Boolean).join('/') || 'unknown';
  const upper = method.toUpperCase();
  const verb =
    VERBS[upper] ??
    (searchParams.get('watch') === 'true' || searchParams.get('watch') === '1'
      ? 'watch'
      : rest.length <= 1
        ? 'list'
        : 'get');
  return { verb, resource };
}

/** Counts the requests of every API client made from `kubeConfig` from now on. */
export function countApiRequests(kubeConfig: KubeConfig, counter: Counter<'verb' | 'resource'>): void {
  // Every generated API client authenticates each request through its KubeConfig: the one place
  // all of them pass.
  const authenticate = kubeConfig.applySecurityAuthentication.bind(kubeConfig);
  kubeConfig.applySecurityAuthentication = async (context) => {
    counter.inc(requestLabels(context.getHttpMethod().toString(), context.getUrl()));
    return authenticate(context);
  };
}
