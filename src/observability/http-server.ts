// The operator's own HTTP endpoints: /healthz (the process serves), /readyz (informers synced;
// the body also says whether this replica leads) and /metrics (Prometheus text format).
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Readiness {
  ready: boolean;
  [detail: string]: unknown;
}

export interface HttpServerOptions {
  address: string;
  registry: Registry;
  readiness: () => Readiness;
}

export function splitAddress(address: string): { host: string | undefined; port: number } {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? undefined : host, port: Number(address.slice(at + 1)) };
}

export async function startHttpServer(options: HttpServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, contentType: string, body: string) => {
      res.writeHead(status, { 'content-type': contentType }).end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    switch (path) {
      case '/healthz':
        return send(200, 'text/plain', 'ok\n');
      case '/readyz': {
        const readiness = options.readiness();
        return send(readiness.ready ? 200 : 503, 'application/json', `${JSON.stringify(readiness)}\n`);
      }
      case '/metrics':
        options.registry
          .metrics()
          .then((text) => send(200, options.registry.contentType, text))
          .catch((error: unknown) => send(500, 'text/plain', `${String(error)}\n`));
        return;
      default:
        return send(404, 'text/plain', 'not found\n');
    }
  });
  const { host, port } = splitAddress(options.address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
