import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Runs the openssl CLI in `dir`, with an empty configuration (written there once) so that the
 * system's openssl.cnf adds nothing to what the arguments and the given config files define.
 */
export async function openssl(dir: string, ...args: string[]): Promise<void> {
  const config = join(dir, 'empty.cnf');
  await writeFile(config, '[req]\ndistinguished_name = dn\n[dn]\n', { flag: 'wx' }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  });
  try {
    await execFileAsync('openssl', args, { cwd: dir, env: { ...process.env, OPENSSL_CONF: config } });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    throw new Error(`openssl ${args.join(' ')} failed: ${stderr}`, { cause: err });
  }
}

/** A certificate time as `openssl ca -startdate/-enddate` take it: YYYYMMDDHHMMSSZ, UTC. */
export function opensslTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace(/[-:T]/g, '')}Z`;
}

/** One DER TLV: the tag byte, the definite length, the content. */
export function der(tag: number, content: Uint8Array): Buffer {
  const length: number[] = [];
  for (let n = content.length; n > 0; n = Math.floor(n / 256)) length.unshift(n % 256);
  const encodedLength = content.length < 0x80 ? [content.length] : [0x80 | length.length, ...length];
  return Buffer.concat([Buffer.from([tag, ...encodedLength]), content]);
}
