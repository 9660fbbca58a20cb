// Requests the bench's kube-api.ts client does not make: as another user (impersonation: the
// parameters are written as the operator's service account, the only writer the guard policy
// admits) and in another encoding (protobuf, the form the API server stores in etcd).
import { Agent, request } from 'node:https';
import { kubeconfigTls } from './common.ts';

export interface RawResponse {
  status: number;
  body: Buffer;
}

export interface RawOptions {
  body?: string;
  contentType?: string;
  accept?: string;
  /** Impersonate this user (the kubeconfig's admin may). */
  as?: string;
}

export interface RawClient {
  send(method: string, path: string, options?: RawOptions): Promise<RawResponse>;
  close(): void;
}

export function rawClient(kubeconfigPath: string): RawClient {
  const { server, tls } = kubeconfigTls(kubeconfigPath);
  const agent = new Agent({ ...tls, keepAlive: true });
  const send = (method: string, path: string, options: RawOptions = {}): Promise<RawResponse> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { accept: options.accept ?? 'application/json' };
      if (options.body !== undefined) {
        headers['content-type'] = options.contentType ?? 'application/json';
        headers['content-length'] = Buffer.byteLength(options.body);
      }
      if (options.as !== undefined) headers['impersonate-user'] = options.as;
      const req = request(`${server}${path}`, { method, agent, headers, timeout: 60_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(options.body);
    });
  return { send, close: () => agent.destroy() };
}
