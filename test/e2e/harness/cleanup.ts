// Cleanups that must happen however this process ends (normal exit, SIGINT, SIGTERM), not only when
// someone awaits a stop(): killing child processes and removing their directories. They are
// synchronous because an 'exit' listener cannot await anything.
const cleanups = new Set<() => void>();
let installed = false;

/** Runs `fn` when this process exits unless the returned function is called first. */
export function onExit(fn: () => void): () => void {
  install();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function runAll(): void {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    try {
      fn();
    } catch (err) {
      process.stderr.write(`cleanup failed: ${String(err)}\n`);
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      runAll();
      // Listening replaced the default action (terminate); restore it unless the host, e.g. vitest,
      // has a handler of its own that decides how to end.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}
