// What `make demo` prints and how it waits: section headers, notes, kubectl commands shown with `$ `
// before their output, and polls with a deadline that fail with a clear message.
import { runKubectl } from '../../test/e2e/harness/kubectl.ts';
import { eventually } from '../../test/e2e/harness/poll.ts';

const tty = process.stdout.isTTY;
const bold = (text: string) => (tty ? `\x1b[1m${text}\x1b[0m` : text);
const dim = (text: string) => (tty ? `\x1b[2m${text}\x1b[0m` : text);
const print = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

/** A section header. */
export const say = (text: string) => print(`\n${bold(`== ${text}`)}`);
/** An explanation, set apart from command output. */
export const note = (text: string) => print(dim(text.replace(/^/gm, '# ')));

/** Shell quoting for display only, so that a shown command can be pasted. */
const quote = (arg: string) => (/^[\w@%+=:,./-]*$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);

/** kubectl against the demo cluster: `run` throws on a non-zero exit, `show` also prints command and output. */
export function kubectlFor(bin: string, kubeconfig: string) {
  const run = async (args: string[], input?: string): Promise<string> => {
    const result = await runKubectl(bin, kubeconfig, args, input === undefined ? {} : { input });
    if (result.code !== 0) throw new Error(`kubectl ${args.map(quote).join(' ')}: ${result.stderr.trim()}`);
    return result.stdout;
  };
  const show = async (...args: string[]): Promise<string> => {
    const result = await runKubectl(bin, kubeconfig, args);
    const command = `$ kubectl ${args.map(quote).join(' ')}`;
    if (result.code !== 0) throw new Error(`${command}: ${result.stderr.trim()}`);
    // stderr too, as a terminal would show it: "No resources found".
    print(`${bold(command)}\n${result.stdout}${result.stderr}`);
    return result.stdout;
  };
  /** Like `show`, for a command that must be refused: prints its error; throws if it succeeds. */
  const showRefused = async (...args: string[]): Promise<string> => {
    const result = await runKubectl(bin, kubeconfig, args);
    const command = `$ kubectl ${args.map(quote).join(' ')}`;
    if (result.code === 0) throw new Error(`${command}: expected a refusal, got: ${result.stdout.trim()}`);
    print(`${bold(command)}\n${result.stderr}`);
    return result.stderr;
  };
  /** `kubectl apply -f -` with `yaml` on stdin, shown as a here-document. */
  const apply = async (yaml: string): Promise<string> => {
    const out = await run(['apply', '-f', '-'], yaml);
    print(`${bold('$ kubectl apply -f - <<EOF')}\n${yaml}${bold('EOF')}\n${out}`);
    return out;
  };
  /** `kubectl get RESOURCE -o json`: the items. */
  const items = async <T>(resource: string, ...args: string[]): Promise<T[]> =>
    (JSON.parse(await run(['get', resource, '-o', 'json', ...args])) as { items: T[] }).items;
  return { run, show, showRefused, apply, items, raw: (args: string[]) => runKubectl(bin, kubeconfig, args) };
}

/** Aborted (with the reason) when something every wait depends on is gone, e.g. the operator exited. */
export const giveUp = new AbortController();

/**
 * Polls `check` until it passes; after `seconds` fails with "timed out after N s waiting for WHAT"
 * and the last reason it gave, and at once if `giveUp` is aborted.
 */
export async function waitFor<T>(what: string, seconds: number, check: () => Promise<T>): Promise<T> {
  try {
    return await eventually(check, { timeoutMs: seconds * 1000, intervalMs: 500, signal: giveUp.signal });
  } catch (err) {
    if (giveUp.signal.aborted)
      throw new Error(`while waiting for ${what}: ${String(giveUp.signal.reason)}`, { cause: err });
    const reason = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new Error(`timed out after ${seconds} s waiting for ${what} (last: ${reason})`, { cause: err });
  }
}
