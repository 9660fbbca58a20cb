// Command-line settings: one table gives each setting its flag, environment variable, default,
// help text and validation, so the parser, the help and the error messages cannot disagree.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseDuration } from './duration.ts';

export interface Setting<T> {
  flag: string;
  help: string;
  schema: z.ZodType<T, string>;
  default?: string;
}

export const duration = (min: number) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration such as 15s, 2m or 24h, got ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${min}ms, got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return ms;
  });

export const integer = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }
    return n;
  });

/** A comma-separated list of items of at most `maxItem` characters (empty: none). */
export const list = (maxItem: number) =>
  z
    .string()
    .max(64 * 1024)
    .transform((text) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().max(maxItem)).max(256));

export const boolean = z.enum(['true', 'false']).transform((text) => text === 'true');

export const envName = (flag: string) => `SIGNWARDEN_${flag.toUpperCase().replaceAll('-', '_')}`;

/** A setting's problem, as one line naming the flag and its environment variable. */
export class SettingError extends Error {}

type Values<S extends Record<string, Setting<unknown>>> = {
  [K in keyof S]: S[K] extends Setting<infer T> ? T : never;
};

/** Parses argv and the environment against `settings`: flag over environment over default. */
export function parseSettings<S extends Record<string, Setting<unknown>>>(
  settings: S,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Values<S> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(Object.values(settings).map((s) => [s.flag, { type: 'string' } as const])),
    });
  } catch (error) {
    throw new SettingError((error as Error).message.split('\n')[0]);
  }
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings)) {
    const fromFlag = parsed.values[setting.flag];
    const raw = fromFlag ?? env[envName(setting.flag)] ?? setting.default;
    if (raw === undefined) continue;
    const result = setting.schema.safeParse(raw);
    if (!result.success) {
      const reason = result.error.issues[0]?.message ?? 'invalid';
      throw new SettingError(`invalid --${setting.flag} (${envName(setting.flag)}): ${reason}`);
    }
    values[key] = result.data;
  }
  return values as Values<S>;
}

export function helpText(settings: Record<string, Setting<unknown>>): string {
  return Object.values(settings)
    .map((s) => {
      const def = s.default === undefined ? '' : ` (default ${s.default})`;
      return `  --${s.flag} VALUE\n      ${s.help}${def}\n      env: ${envName(s.flag)}`;
    })
    .join('\n');
}
