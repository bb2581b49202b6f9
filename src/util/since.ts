import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: an ISO date or time, or a span back from now such as 30m, 36h, 7d. */
export function parseSince(value: string, now: Date = new Date()): Date {
  const span = /^(\d+)([mhd])$/.exec(value.trim());
  if (span) return new Date(now.getTime() - Number(span[1]) * (UNITS[span[2] ?? 'd'] ?? 0));
  const signed = /^[-+](\d+[mhd])$/.exec(value.trim());
  if (signed) throw new UsageError(`--since "${value}": a span is counted back from now and takes no sign; write ${signed[1] ?? ''}`);
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) {
      if (date.getTime() > now.getTime()) throw new UsageError(`--since "${value}" is in the future: nothing could match; give a date before now (${now.toISOString().slice(0, 10)})`);
      return date;
    }
  }
  throw new UsageError(`--since "${value}": use an ISO date (2026-11-01, 2026-11-01T08:00Z) or a span such as 30m, 36h, 7d`);
}
