/**
 * Exponential backoff with jitter: base·2^attempt, capped, then a random 50–100 % of it, so that
 * several hosts that failed together do not all come back at the same instant.
 */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random() / 2));
}
