import { NOTICE_DAYS, daysLeft, dueNotice, loginPathOf, pathAdvice } from '../verify/login-paths.js';
import type { RunContext } from './context.js';
import { WARN_WITHIN_DAYS } from './readiness.js';

type NoticeRun = Pick<RunContext, 'config' | 'log' | 'notifier' | 'checkpoint' | 'notices'>;

/**
 * Tells people that an account's login path ends soon: 60, 30, 7 and 1 days before, each once
 * (remembered in the ledger, so a restart or a cron run does not tell it again). Called when a
 * run starts and on watch's heartbeat; `now` is the caller's clock.
 */
export async function tellLoginPathEnds(run: NoticeRun, now: Date): Promise<void> {
  let told = false;
  for (const account of run.config.accounts) {
    const path = loginPathOf(account, run.config.loginPathEnds);
    // A version without login() fails at its first login, which says so itself.
    if (!path.available) continue;
    const endsOn = path.endsAt.toISOString().slice(0, 10);
    // The end date is part of the key: a date Salesforce moves (and the config follows) is told anew.
    const key = (threshold: number) => `login-path-end:${account.username}:${path.kind}:${endsOn}:${threshold}`;
    const due = dueNotice(
      daysLeft(path.endsAt, now),
      NOTICE_DAYS.filter((t) => run.notices.noticeTold(key(t)) !== undefined),
    );
    if (due === null) continue;
    const days = daysLeft(path.endsAt, now);
    const advice = pathAdvice(path, now);
    run.log.warn('login path ends soon', { username: account.username, path: path.label, endsOn, daysLeft: days });
    run.notifier?.notice({
      headline: `${account.username} logs in with ${path.label}, which ${days > 0 ? `ends in ${days} day${days === 1 ? '' : 's'} (${endsOn})` : `ended on ${endsOn}`}`,
      username: account.username,
      reason: `login-path-end:${path.kind}`,
      note: advice,
      source: 'sftoken',
    });
    run.notices.recordNotice(key(due), now.toISOString());
    told = true;
  }
  if (told) await run.checkpoint();
}

/** At watch start: one line for each account whose login path ends within 60 days, or is gone. */
export function warnOfPathEnds(run: Pick<RunContext, 'config' | 'log'>, now: Date): void {
  for (const account of run.config.accounts) {
    const path = loginPathOf(account, run.config.loginPathEnds);
    const days = daysLeft(path.endsAt, now);
    if (path.available && days > WARN_WITHIN_DAYS) continue;
    run.log.warn(`login path of ${account.username}: ${path.label}: ${pathAdvice(path, now)}`, { username: account.username, daysLeft: days });
  }
}
