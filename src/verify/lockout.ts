import type { LoginLedger } from '../state/ledger.js';

const HOUR_MS = 60 * 60 * 1000;

/** The failed logins that still count toward the per-hour budget. */
export function withinLastHour(times: readonly string[], now: Date): string[] {
  return times.filter((t) => now.getTime() - new Date(t).getTime() < HOUR_MS);
}

/**
 * The failed-login budget per user and hour. Salesforce locks a user after 10 failures by
 * default, and each failure counts whoever sent it, so sftoken spends only a few of them.
 */
export class LockoutGuard {
  constructor(
    private readonly ledger: LoginLedger,
    private readonly maxPerHour: number,
    private readonly now: () => Date,
  ) {}

  /** Whether one more failure could still be afforded for this user. */
  allows(username: string): boolean {
    return withinLastHour(this.ledger.failedLogins(username), this.now()).length < this.maxPerHour;
  }

  /** Records a failed (or possibly failed) login, at `at` when it happened earlier than now. */
  noteFailure(username: string, at: Date = this.now()): void {
    const now = this.now();
    this.ledger.recordFailedLogin(username, at.toISOString(), (times) => withinLastHour(times, now));
  }
}
