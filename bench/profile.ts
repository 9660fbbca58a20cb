// A V8 CPU profile of one sweep, summarised three ways: by component (the nearest frame of a known
// package or of signwarden; Node's own JS and native code counted with whoever called it), by the
// signwarden function nearest on the stack, and by self time. The .cpuprofile files themselves open
// in Chrome DevTools or speedscope.
import type { Profiler } from 'node:inspector';

export interface ProfileSummary {
  phase: string;
  totalMs: number;
  /** Sampled time by component. */
  categories: { category: string; ms: number; share: number }[];
  /** Sampled time by the signwarden function nearest on the stack (src/ only). */
  signwarden: { fn: string; ms: number; share: number }[];
  /** Functions with the most self time. */
  top: { fn: string; ms: number; share: number }[];
}

const SPECIAL: Record<string, string> = {
  '(idle)': 'idle (waiting for the registry)',
  '(garbage collector)': 'GC',
  '(program)': 'V8 other',
  '(root)': 'V8 other',
};

const NO_CALLER = 'node internals (event loop, streams, timers)';

/** The component a frame belongs to; undefined for Node's own code and native code (its caller's). */
function componentOf(url: string): string | undefined {
  if (url === '') return undefined;
  if (url.includes('/node_modules/@sigstore/')) return '@sigstore/* (verification library)';
  if (url.includes('/node_modules/zod/')) return 'zod (schema parsing)';
  if (url.includes('/node_modules/')) return 'other npm packages';
  if (url.includes('/src/sigstore/')) return 'src/sigstore (verification glue)';
  if (url.includes('/src/registry/')) return 'src/registry (HTTP client)';
  if (url.includes('/src/')) return 'src/observe, src/core (judging, cache)';
  if (url.includes('/bench/')) return 'bench harness (request wrapper, drivers)';
  if (/^node:(_http_\w+|https?|net|_tls_\w+|tls|internal\/(streams\/|stream_base_commons|http))/.test(url))
    return 'node:http (sockets, streams)';
  return undefined;
}

const short = (url: string): string => url.replace(/^.*\/(node_modules|src|bench)\//, '$1/');

export function summarise(phase: string, profile: Profiler.Profile): ProfileSummary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);

  const componentMemo = new Map<number, string>();
  const component = (id: number): string => {
    const known = componentMemo.get(id);
    if (known !== undefined) return known;
    const { functionName, url } = nodes.get(id)!.callFrame;
    const up = parent.get(id);
    const result =
      (url === '' ? SPECIAL[functionName] : undefined) ??
      componentOf(url) ??
      (up === undefined ? NO_CALLER : component(up));
    componentMemo.set(id, result);
    return result;
  };
  const ownerMemo = new Map<number, string | undefined>();
  const owner = (id: number): string | undefined => {
    if (ownerMemo.has(id)) return ownerMemo.get(id);
    const { functionName, url } = nodes.get(id)!.callFrame;
    const up = parent.get(id);
    const result = url.includes('/src/')
      ? `${functionName || '(anonymous)'} (${short(url)})`
      : up === undefined
        ? undefined
        : owner(up);
    ownerMemo.set(id, result);
    return result;
  };

  const byComponent = new Map<string, number>();
  const byOwner = new Map<string, number>();
  const bySelf = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!;
    const us = deltas[i + 1] ?? 0; // a delta is the time until the next sample
    total += us;
    const c = component(id);
    add(byComponent, c, us);
    add(byOwner, owner(id) ?? (c.startsWith('idle') || c === 'GC' ? c : '(outside signwarden code)'), us);
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    add(bySelf, `${functionName || '(anonymous)'}${url ? ` ${short(url)}:${lineNumber + 1}` : ''}`, us);
  }
  const rows = (map: Map<string, number>, n: number) =>
    [...map]
      .sort(([, a], [, b]) => b - a)
      .slice(0, n)
      .map(([key, us]) => ({
        key,
        ms: Math.round(us / 100) / 10,
        share: Math.round((us / Math.max(1, total)) * 1000) / 1000,
      }));
  return {
    phase,
    totalMs: Math.round(total / 100) / 10,
    categories: rows(byComponent, 20).map(({ key, ms, share }) => ({ category: key, ms, share })),
    signwarden: rows(byOwner, 15).map(({ key, ms, share }) => ({ fn: key, ms, share })),
    top: rows(bySelf, 15).map(({ key, ms, share }) => ({ fn: key, ms, share })),
  };
}
