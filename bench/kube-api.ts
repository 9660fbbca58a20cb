// The bench's own client for the API server: HTTPS with the client certificate of a kubeconfig
// (certificates embedded, as the harness writes them), keep-alive connections, no generated client.
// Cheap enough to poll and to write thousands of objects without taking CPU from the operator.
import { Agent, request } from 'node:https';
import { kubeconfigTls } from './common.ts';

export interface KubeResponse {
  status: number;
  body: string;
}

export type WatchEvent = { type: string; object: { metadata?: { resourceVersion?: string } } & object };

export interface KubeApi {
  request(method: string, path: string, body?: unknown, contentType?: string): Promise<KubeResponse>;
  /** The reply parsed; throws on a status other than 2xx. */
  json<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T>;
  /** Server-side apply of `object` at `path` (an object's URL or its /status), as `fieldManager`. */
  apply(path: string, object: unknown, fieldManager: string): Promise<void>;
  /**
   * Watches the collection at `path` from `resourceVersion`, calling `onEvent` for each event; re-watched
   * from the last version seen when the server ends the stream. stop() ends it.
   */
  watch(path: string, resourceVersion: string, onEvent: (event: WatchEvent) => void): { stop(): void };
  close(): void;
}

export function kubeApi(kubeconfigPath: string): KubeApi {
  const { server, tls } = kubeconfigTls(kubeconfigPath);
  const agent = new Agent({ ...tls, keepAlive: true, maxSockets: 64 });
  // Watches hold a connection each for as long as they run: not from the pool the requests share.
  const watchAgent = new Agent(tls);
  const watches = new Set<{ stop(): void }>();

  const send = (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<KubeResponse> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${server}${path}`,
        {
          method,
          agent,
          timeout: 30_000,
          headers: {
            accept: 'application/json',
            ...(payload !== undefined
              ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });

  const json = async <T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> => {
    const res = await send(method, path, body, contentType);
    if (res.status < 200 || res.status > 299)
      throw new Error(`${method} ${path}: ${res.status} ${res.body.slice(0, 500)}`);
    return JSON.parse(res.body) as T;
  };

  const watch = (path: string, from: string, onEvent: (event: WatchEvent) => void) => {
    let stopped = false;
    let version = from;
    let current: ReturnType<typeof request> | undefined;
    const open = () => {
      if (stopped) return;
      const sep = path.includes('?') ? '&' : '?';
      current = request(
        `${server}${path}${sep}watch=1&allowWatchBookmarks=false&resourceVersion=${version}`,
        { agent: watchAgent, headers: { accept: 'application/json' } },
        (res) => {
          let buffered = '';
          res.setEncoding('utf8').on('data', (chunk: string) => {
            buffered += chunk;
            for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
              const line = buffered.slice(0, nl);
              buffered = buffered.slice(nl + 1);
              if (!line.trim()) continue;
              const event = JSON.parse(line) as WatchEvent;
              if (event.type === 'ERROR') {
                // Most likely 410 Gone: the version is too old. Start again from now.
                version = '';
                continue;
              }
              version = event.object.metadata?.resourceVersion ?? version;
              onEvent(event);
            }
          });
          res.on('end', () => setTimeout(open, 50));
          res.on('error', () => setTimeout(open, 200));
        },
      );
      current.on('error', () => {
        if (!stopped) setTimeout(open, 200);
      });
      current.end();
    };
    open();
    const handle = {
      stop: () => {
        stopped = true;
        current?.destroy();
        watches.delete(handle);
      },
    };
    watches.add(handle);
    return handle;
  };

  return {
    request: send,
    json,
    apply: async (path, object, fieldManager) => {
      const sep = path.includes('?') ? '&' : '?';
      await json(
        'PATCH',
        `${path}${sep}fieldManager=${fieldManager}&force=true`,
        object,
        'application/apply-patch+yaml',
      );
    },
    watch,
    close: () => {
      for (const w of [...watches]) w.stop();
      agent.destroy();
      watchAgent.destroy();
    },
  };
}
