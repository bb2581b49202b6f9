import { Redactor } from './redact.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  trace(msg: string, fields?: LogFields): void;
}

type LogFormat = 'text' | 'json';

function quote(value: string): string {
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

/**
 * Structured logs on stderr, one line each: logfmt for people, JSON for log shippers.
 * stdout stays reserved for the records a script reads.
 */
export function createLogger(level: LogLevel, format: LogFormat, write: (line: string) => void, secrets: Redactor): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const emit = (lvl: LogLevel, msg: string, fields: LogFields = {}): void => {
    if (LOG_LEVELS.indexOf(lvl) > threshold) return;
    const time = new Date().toISOString();
    const defined = Object.entries(fields).filter(([, v]) => v !== undefined);
    const line =
      format === 'json'
        ? JSON.stringify({ time, level: lvl, msg, ...Object.fromEntries(defined) })
        : [`time=${time}`, `level=${lvl}`, `msg=${quote(msg)}`, ...defined.map(([k, v]) => `${k}=${quote(String(v))}`)].join(' ');
    write(secrets.redact(line) + '\n');
  };
  return {
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
    trace: (m, f) => emit('trace', m, f),
  };
}

export const silentLogger: Logger = createLogger('error', 'text', () => undefined, new Redactor());
