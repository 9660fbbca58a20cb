// Reading a response body under a byte cap, chunk by chunk: the stream is cancelled (the connection
// dropped) as soon as the cap is passed, whatever Content-Length claimed, so a hostile registry
// can make us hold at most the cap plus one chunk.
import { RegistryError } from './registry-error.ts';

/** The whole body, or RegistryError TooLarge once more than `maxBytes` arrived. `what` names it in the message. */
export async function readBounded(response: Response, maxBytes: number, what: string): Promise<Buffer> {
  const tooLarge = () => new RegistryError('TooLarge', `${what} is larger than ${maxBytes} bytes`);
  const body = response.body;
  if (!body) return Buffer.alloc(0);
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    void body.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      void reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** Drops a body not wanted (an error status, a redirect), so the connection is not left half-read. */
export function discardBody(response: Response): void {
  if (response.body && !response.bodyUsed) void response.body.cancel().catch(() => undefined);
}
