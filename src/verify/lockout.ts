import type { Journal } from '../pipeline/types.js';

const HOUR_MS = 60 * 60 * 1000;

/** The failed logins that still count toward the per-hour budget. */
export function withinLastHour(times: readonly string[], now: Date): string[] {
  return times.filter((t) => now.getTime() - new Date(t).getTime() < HOUR_MS);
}

/**
 * The failed-login budget per user and hour. Salesforce locks a user after 10 failures by
 * default, and each failure counts whoever sent it, so sftoken spends only a few of them. The
 * failures themselves are recorded in the journal, with each login's answer.
 */
export class LockoutGuard {
  constructor(
    private readonly journal: Pick<Journal, 'failedLogins'>,
    private readonly maxPerHour: number,
    private readonly now: () => Date,
  ) {}

  /** Whether one more failure could still be afforded for this user. */
  allows(username: string): boolean {
    return withinLastHour(this.journal.failedLogins(username), this.now()).length < this.maxPerHour;
  }

  /** Drops failures older than the budget's hour as a new one is recorded. */
  readonly keep = (times: readonly string[]): string[] => withinLastHour(times, this.now());
}
