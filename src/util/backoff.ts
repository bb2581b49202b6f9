/**
 * Exponential backoff with jitter: base·2^attempt, capped, then a random 50–100 % of it, so that
 * several hosts that failed together do not all come back at the same instant.
 */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random() / 2));
}

/**
 * Backoff that never comes sooner than base·2^attempt (capped), with up to a quarter more as
 * jitter: for waits whose floor matters, such as a mail server that locks an account after a
 * few refused logins in a short time.
 */
export function backoffAtLeastMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const floor = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(Math.min(capMs, floor * (1 + random() / 4)));
}
