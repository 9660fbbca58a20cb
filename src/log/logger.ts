// Structured JSON logs, one object a line on stdout, for log pipelines to parse.
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

/** Errors do not serialize to JSON by themselves; keep their message (not the stack). */
const replacer = (_key: string, value: unknown): unknown =>
  value instanceof Error ? { message: value.message, name: value.name } : value;

export function createLogger(
  minLevel: Level = 'info',
  base: Fields = {},
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const emit = (level: Level, msg: string, fields?: Fields) => {
    if (ORDER[level] < ORDER[minLevel]) return;
    write(
      `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields }, replacer)}\n`,
    );
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger(minLevel, { ...base, ...fields }, write),
  };
}
