import type { AccountOutline } from '../config/accounts.js';
import type { LoginPathAnswer } from '../state/ledger.js';
import { daysLeft, loginPathOf, pathAdvice, type PathEnds } from '../verify/login-paths.js';

// Within this many days of its path's end, an account is named in `status`, `check` and at `watch` start.
export const WARN_WITHIN_DAYS = 60;

/** One account's login path as `status` and `check` tell it (DESIGN §5). */
export interface AccountReadiness {
  kind: 'account';
  username: string;
  /** `SOAP login() at API 64.0`, `OAuth username-password flow (client …)`. */
  path: string;
  pathKind: string;
  /** What Salesforce said of this path at the last login: null when no login took it yet. */
  lastLogin: { accepted: boolean | null; at: string; code: string | null } | null;
  lastLoginText: string;
  endsOn: string;
  daysLeft: number;
  /** False at an API version that has no SOAP login(). */
  available: boolean;
  /** When the path ends and the way across, in one line. */
  advice: string;
  /** What a person should know now, when anything: the path closed, gone, or ending within 60 days. */
  warning: string | null;
}

function lastLoginText(answer: AccountReadiness['lastLogin']): string {
  if (!answer) return 'none yet';
  const day = answer.at.slice(0, 10);
  if (answer.accepted === true) return `accepted ${day}`;
  if (answer.accepted === false) return `path closed ${day} (${answer.code ?? '?'})`;
  return `unclear ${day} (${answer.code ?? '?'})`;
}

export function accountReadiness(account: AccountOutline, ends: PathEnds, last: LoginPathAnswer | undefined, now: Date): AccountReadiness {
  const path = loginPathOf(account, ends);
  // An answer about another path (the API version or the client changed since) says nothing now.
  const lastLogin = last && last.path === path.label ? { accepted: last.accepted, at: last.at, code: last.code ?? null } : null;
  const days = daysLeft(path.endsAt, now);
  const closed = lastLogin?.accepted === false;
  const advice = pathAdvice(path, now);
  const warning = !path.available || days <= WARN_WITHIN_DAYS || closed ? (closed ? `Salesforce said this path is closed (${lastLogin.code ?? '?'}); ` : '') + advice : null;
  return {
    kind: 'account',
    username: account.username,
    path: path.label,
    pathKind: path.kind,
    lastLogin,
    lastLoginText: lastLoginText(lastLogin),
    endsOn: path.endsAt.toISOString().slice(0, 10),
    daysLeft: days,
    available: path.available,
    advice,
    warning,
  };
}
