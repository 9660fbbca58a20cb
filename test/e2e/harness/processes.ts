import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { onExit } from './cleanup.ts';
import { eventually } from './poll.ts';

export type GroupOptions = {
  /** Where the processes keep their state, logs and pid files; a new temporary directory by default. */
  dir?: string;
  /** Once up, the processes outlive this one (for `make cluster-up`); stopRecorded() stops them. */
  detached?: boolean;
};

type Proc = { name: string; log: string; exited: Promise<string> };

const tempPrefix = 'signwarden-';

/**
 * The processes of one service (a control plane, a registry), sharing one directory with their logs
 * (<name>.log) and pid files (<name>.pid): started, waited for and stopped together. Unless stopped
 * or up and detached, they are killed and the directory removed when this process exits.
 */
export class ProcessGroup {
  readonly dir: string;
  readonly #detached: boolean;
  readonly #procs: Proc[] = [];
  readonly #forget: () => void;

  constructor(opts: GroupOptions = {}) {
    this.#detached = opts.detached ?? false;
    if (opts.dir) {
      this.dir = resolve(opts.dir);
      mkdirSync(this.dir, { recursive: true });
    } else {
      this.dir = mkdtempSync(join(tmpdir(), tempPrefix));
    }
    // Names the process these die with, so that stopOrphans() can tell whether they are leftovers.
    if (!this.#detached) writeFileSync(join(this.dir, 'owner'), record(process.pid));
    this.#forget = onExit(() => this.#kill());
  }

  /** Runs `start`, which brings the service up; if it fails, kills what it started and removes the directory. */
  async up<T>(start: () => Promise<T>): Promise<T> {
    try {
      const service = await start();
      if (this.#detached) this.#forget();
      return service;
    } catch (err) {
      this.#forget();
      this.#kill();
      throw err;
    }
  }

  /** Starts `command`, its stdout and stderr going to <dir>/<name>.log. */
  async start(
    name: string,
    command: string,
    args: string[],
    env: Record<string, string> = {},
  ): Promise<void> {
    const log = join(this.dir, `${name}.log`);
    const fd = openSync(log, 'a');
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        stdio: ['ignore', fd, fd],
        detached: this.#detached,
        env: { ...process.env, ...env },
      });
    } finally {
      closeSync(fd); // the child has its own copy
    }
    const exited = new Promise<string>((done) =>
      child.once('exit', (code, signal) => done(signal ?? `exit code ${code}`)),
    );
    await once(child, 'spawn'); // rejects if it could not start, e.g. a missing binary
    writeFileSync(join(this.dir, `${name}.pid`), record(child.pid!));
    this.#procs.push({ name, log, exited });
    if (this.#detached) child.unref();
  }

  /**
   * Retries `check` until it passes, for up to `timeoutMs`. Fails at once if a process of the group
   * exits, with the end of its log; on timeout, with the end of the log of the process named `blame`.
   */
  async waitFor(what: string, check: () => Promise<void>, blame: string, timeoutMs: number): Promise<void> {
    const exit = new AbortController();
    for (const proc of this.#procs) void proc.exited.then((how) => exit.abort({ proc, how }));
    try {
      await eventually(check, { timeoutMs, intervalMs: 100, signal: exit.signal });
    } catch (err) {
      if (exit.signal.aborted) {
        const { proc, how } = exit.signal.reason as { proc: Proc; how: string };
        throw withLog(`${proc.name} ended (${how}) while waiting for ${what}`, proc);
      }
      const blamed = this.#procs.find((proc) => proc.name === blame);
      throw withLog(`${what}: ${err instanceof Error ? err.message : String(err)}`, blamed);
    }
  }

  /** Stops the processes (SIGTERM, then SIGKILL if they linger) and removes the directory. */
  async stop(): Promise<void> {
    this.#forget();
    await stopRecorded(this.dir);
    await rm(this.dir, { recursive: true, force: true });
  }

  #kill(): void {
    for (const { pid } of recorded(this.dir)) signal(pid, 'SIGKILL');
    // Retries, as a process may still write a file or two before the kill lands.
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

/**
 * Stops the processes whose pid files are in `dir` or below and are still running, newest first: a
 * server outlives its clients (the API server lingers on SIGTERM while etcd is gone).
 */
export async function stopRecorded(dir: string): Promise<void> {
  // Start times are in clock ticks (10 ms), so pids break ties: they only grow, short of wrapping.
  const newestFirst = recorded(dir).sort((a, b) => Number(b.started) - Number(a.started) || b.pid - a.pid);
  for (const proc of newestFirst) await terminate(proc);
}

/**
 * Stops the processes of, and removes, temporary group directories whose owner has died without
 * cleaning up (killed by SIGKILL, say). Returns the directories removed.
 */
export async function stopOrphans(): Promise<string[]> {
  const orphans = readdirSync(tmpdir())
    .filter((name) => name.startsWith(tempPrefix))
    .map((name) => join(tmpdir(), name))
    .filter((dir) => {
      const owner = readRecord(join(dir, 'owner'));
      return owner !== undefined && !running(owner);
    });
  for (const dir of orphans) {
    await stopRecorded(dir);
    await rm(dir, { recursive: true, force: true });
  }
  return orphans;
}

// A process is recorded as its pid and its start time, so that a recycled pid is not mistaken for it.
type Recorded = { pid: number; started: string };

function record(pid: number): string {
  return `${pid} ${startTime(pid)}\n`;
}

function readRecord(file: string): Recorded | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const [pid, started] = text.trim().split(' ');
  return pid && started ? { pid: Number(pid), started } : undefined;
}

function recorded(dir: string): Recorded[] {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith('.pid'))
    .map((name) => readRecord(join(dir, name)))
    .filter((proc): proc is Recorded => proc !== undefined && running(proc));
}

/** The start time (clock ticks since boot) of a live process, from /proc; undefined once it is gone. */
function startTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command name: state is the first, starttime the twentieth.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[0] === 'Z' ? undefined : fields[19];
}

function running(proc: Recorded): boolean {
  return startTime(proc.pid) === proc.started;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // already gone
  }
}

async function terminate(proc: Recorded): Promise<void> {
  const gone = (timeoutMs: number) =>
    eventually(
      () => {
        if (running(proc)) throw new Error(`process ${proc.pid} still running`);
      },
      { timeoutMs, intervalMs: 50 },
    );
  signal(proc.pid, 'SIGTERM');
  try {
    await gone(5_000);
  } catch {
    signal(proc.pid, 'SIGKILL');
    await gone(5_000);
  }
}

function withLog(message: string, proc: Proc | undefined): Error {
  if (!proc) return new Error(message);
  let tail: string;
  try {
    tail = readFileSync(proc.log, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
  } catch (err) {
    tail = `(unreadable: ${String(err)})`;
  }
  return new Error(`${message}\n--- last lines of ${proc.log} ---\n${tail}`);
}
