/**
 * The two login paths a security token serves, which one each account uses, and when each ends
 * (DESIGN §5). Salesforce can move the dates: the config file's `loginPathEnds` overrides them.
 */
import type { Account } from '../config/accounts.js';

export type LoginPathKind = 'soap-login' | 'oauth-username-password';
export const LOGIN_PATH_KINDS: readonly LoginPathKind[] = ['soap-login', 'oauth-username-password'];

interface PathEnd {
  /** The first day the path no longer works anywhere (UTC). */
  date: string;
  /** What ends, in the words a person reads in `status` and notifications. */
  what: string;
  source: string;
}

export const PATH_ENDS: Readonly<Record<LoginPathKind, PathEnd>> = {
  'soap-login': {
    date: '2027-06-01',
    what: "SOAP API login() is retired in the Summer '27 release, at every API version",
    source: "help.salesforce.com article 005132110 'Platform SOAP API login() Retirement' (updated 2026-04-30: Summer '27); Salesforce's product notification of 2026-04-21 gives June 1, 2027",
  },
  'oauth-username-password': {
    date: '2027-02-20',
    what: 'Connected Apps stop supporting the OAuth 2.0 username-password flow (no extensions); External Client Apps never had it',
    source: "Salesforce help: 'Migrate from the OAuth 2.0 Username-Password Flow' (2026-03-31)",
  },
};

/** SOAP login() is not in the API from this version on (Winter '26 release note). */
export const FIRST_API_WITHOUT_SOAP_LOGIN = 65;

/** Days before a path's end at which people are told, each once. */
export const NOTICE_DAYS: readonly number[] = [60, 30, 7, 1];

export type PathEnds = Readonly<Record<LoginPathKind, Date>>;

export function defaultPathEnds(): PathEnds {
  return { 'soap-login': new Date(`${PATH_ENDS['soap-login'].date}T00:00:00Z`), 'oauth-username-password': new Date(`${PATH_ENDS['oauth-username-password'].date}T00:00:00Z`) };
}

/** The path one account's test login takes, as `check` and `status` name it. */
export interface LoginPath {
  kind: LoginPathKind;
  /** `SOAP login() at API 64.0`, or `OAuth username-password flow (client 3MVG9…xyz)`. */
  label: string;
  endsAt: Date;
  /** False at an API version that never had SOAP login(): it fails today. */
  available: boolean;
}

/** A client id is not a secret, but it is long: the ends are enough to find it in Setup. */
function shortClient(clientId: string): string {
  return clientId.length > 16 ? `${clientId.slice(0, 6)}…${clientId.slice(-4)}` : clientId;
}

type PathOwner = Pick<Account, 'apiVersion' | 'oauth'>;

export function pathLabel(account: PathOwner): string {
  return account.oauth ? `OAuth username-password flow (client ${shortClient(account.oauth.clientId)})` : `SOAP login() at API ${account.apiVersion}`;
}

/** An API version that never had SOAP login() (65.0 and later). */
export function soapLoginMissing(account: PathOwner): boolean {
  return !account.oauth && Number.parseFloat(account.apiVersion) >= FIRST_API_WITHOUT_SOAP_LOGIN;
}

export function loginPathOf(account: PathOwner, ends: PathEnds): LoginPath {
  const kind: LoginPathKind = account.oauth ? 'oauth-username-password' : 'soap-login';
  return { kind, label: pathLabel(account), endsAt: ends[kind], available: !soapLoginMissing(account) };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whole days until `end`, rounded up: 1 on its last day, 0 or less once it has passed. */
export function daysLeft(end: Date, now: Date): number {
  return Math.ceil((end.getTime() - now.getTime()) / DAY_MS);
}

/**
 * The notice due now, if any: the nearest threshold that `days` has reached and that was not
 * told yet. One that starts late (20 days before) tells 30 once, not 60 and 30 together.
 */
export function dueNotice(days: number, told: readonly number[], thresholds: readonly number[] = NOTICE_DAYS): number | null {
  const reached = thresholds.filter((t) => days <= t);
  const nearest = reached.length ? Math.min(...reached) : null;
  return nearest !== null && !told.includes(nearest) ? nearest : null;
}

/** What a person should do about a path, in one line: when it ends and the way across. */
export function pathAdvice(path: LoginPath, now: Date): string {
  const across = 'move the integration to JWT bearer or client credentials';
  if (!path.available) return `not available at API ${FIRST_API_WITHOUT_SOAP_LOGIN}.0 and later: set apiVersion to 64.0, and ${across}`;
  const days = daysLeft(path.endsAt, now);
  const when = path.endsAt.toISOString().slice(0, 10);
  if (days <= 0) return `ended on ${when}: ${across}`;
  return `ends on ${when}, in ${days} day${days === 1 ? '' : 's'}: ${across} before then`;
}
