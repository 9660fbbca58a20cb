// What every bench shares: where the repository is, settings from the environment, the commit
// measured, the stamp and writing of results files, and a TLS agent for the API server.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The repository's root directory. */
export const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** A positive integer setting from the environment, or `fallback`. */
export const setting = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
};

/** The commit measured, and whether the working tree had changes. */
export function git(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

/** A date as it appears in results file names: 2026-11-22T01-10-27Z. */
export const fileStamp = (date: Date): string =>
  date
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');

/** The 1-minute load average, to one decimal: above the CPU count, other work shared the machine. */
export const loadNow = (): number => Math.round(loadavg()[0]! * 10) / 10;

/** The machine a bench ran on. */
export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  /** 1-minute load average when the bench started and ended. */
  loadAverage: { start: number; end: number };
}

export const machine = (loadAtStart: number): Machine => ({
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 1024 ** 3),
  node: process.version,
  platform: `${process.platform}/${process.arch}`,
  loadAverage: { start: loadAtStart, end: loadNow() },
});

/** Where results are written (.cache/bench), created if missing. */
export function resultsDirectory(): string {
  const dir = join(root, '.cache', 'bench');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes a bench's results: `<name>-<stamp>.json` and `.md`, and `<name>-latest.json`. */
export function writeResults(
  dir: string,
  name: string,
  stamp: string,
  result: unknown,
  markdown: string,
): void {
  const json = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(join(dir, `${name}-${stamp}.json`), json);
  writeFileSync(join(dir, `${name}-${stamp}.md`), `${markdown}\n`);
  writeFileSync(join(dir, `${name}-latest.json`), json);
}

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

/** The API server of a kubeconfig (certificates embedded, as the harness writes them) and its TLS client settings. */
export function kubeconfigTls(kubeconfigPath: string): {
  server: string;
  tls: { ca: Buffer; cert: Buffer; key: Buffer };
} {
  const config = parse(readFileSync(kubeconfigPath, 'utf8')) as Kubeconfig;
  const { server, 'certificate-authority-data': ca } = config.clusters[0]!.cluster;
  const user = config.users[0]!.user;
  const decode = (b64: string) => Buffer.from(b64, 'base64');
  return {
    server,
    tls: {
      ca: decode(ca),
      cert: decode(user['client-certificate-data']),
      key: decode(user['client-key-data']),
    },
  };
}

/** A line on stderr: progress, apart from the results on stdout. */
export const log = (line: string): void => void process.stderr.write(`${line}\n`);

export interface BenchRun {
  /** Date.now() at the start. */
  started: number;
  date: Date;
  /** The results files' stamp. */
  stamp: string;
  loadAtStart: number;
  resultsDir: string;
}

/**
 * Starts a bench's clock and its watchdog: past `timeoutSeconds` it gives up with exit code 2, after
 * `onTimeout` (what the harness started goes with the process).
 */
export function startBench(name: string, timeoutSeconds: number, onTimeout?: () => void): BenchRun {
  const started = Date.now();
  const loadAtStart = loadNow();
  setTimeout(() => {
    log(`bench: ${name} not done within ${timeoutSeconds} s, giving up`);
    onTimeout?.();
    process.exit(2);
  }, timeoutSeconds * 1000).unref();
  const date = new Date();
  return { started, date, stamp: fileStamp(date), loadAtStart, resultsDir: resultsDirectory() };
}
