/**
 * Dates for test mail, relative to the moment the test runs: the suite must pass on any day,
 * and the tool looks back a bounded time (watch: 7 days) and refuses mail from the future.
 */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** The instant `minutes` before now (whole minutes, so two calls in one test agree). */
export function minutesAgo(minutes: number, now = Date.now()): Date {
  return new Date(Math.floor(now / 60_000) * 60_000 - minutes * 60_000);
}

/** RFC 5322 form, as a Date header carries it: `Mon, 23 Nov 2026 10:00:00 +0000`. */
export function rfc5322(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

/** IMAP INTERNALDATE form: `23-Nov-2026 10:00:00 +0000`. */
export function imapDate(d: Date): string {
  return `${pad(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}
