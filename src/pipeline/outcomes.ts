/**
 * Every outcome and reason, and the one table of what each means (DESIGN §2). Nothing else reads
 * an outcome or a reason to decide: exit codes, settling, notifications, health and `status`
 * advice all ask this module. Adding a reason is one line in REASONS.
 */

export type Outcome = 'stored' | 'would-store' | 'superseded' | 'ignored' | 'rejected' | 'failed';
export const OUTCOMES: readonly Outcome[] = ['stored', 'would-store', 'superseded', 'ignored', 'rejected', 'failed'];

/**
 * What may happen to a token email's message in its mailbox. `safe`: its token is in every
 * destination (or an applied newer one is), so it may be settled and makes its user's older copies
 * settleable; `with-newer`: settled only when a safe one for the same user is in the batch;
 * `keep`: left exactly as it was, for a person or a retry.
 */
export type Settle = 'safe' | 'with-newer' | 'keep';

/** What one outcome-with-reason means. */
export interface Meaning {
  /** No more work is due: not retried. */
  final: boolean;
  settle: Settle;
  /** A token email refused for good: a person must look (other replicas skip it). */
  refused: boolean;
  /** The token is in every destination. */
  delivered: boolean;
  /** Told to the configured webhooks. */
  notify: boolean;
  /** Says where the user's token stands now (health's per-user view); an old copy does not. */
  current: boolean;
  /** Its part in the exit code of replay, ingest and check: the highest one wins. */
  exit: 0 | 1 | 3;
  /**
   * What `deliver` answers the mail server (sysexits): 0 delivered, 75 try again later; `hold`:
   * refused for good, kept in the held folder first and then 0, so that no token email bounces
   * or disappears.
   */
  deliver: 0 | 75 | 'hold';
  /** What a person does about it, in one line (`status`, notes). */
  advice: string;
}

const BY_OUTCOME: Record<Outcome, Meaning> = {
  stored: { final: true, refused: false, delivered: true, settle: 'safe', notify: true, current: true, exit: 0, deliver: 0, advice: 'nothing' },
  'would-store': { final: true, refused: false, delivered: false, settle: 'keep', notify: false, current: false, exit: 0, deliver: 0, advice: 'run without --dry-run to store it' },
  superseded: { final: true, refused: false, delivered: false, settle: 'with-newer', notify: false, current: false, exit: 0, deliver: 0, advice: 'nothing: a newer token exists' },
  ignored: { final: true, refused: false, delivered: false, settle: 'keep', notify: false, current: false, exit: 0, deliver: 0, advice: 'nothing' },
  rejected: { final: true, refused: true, delivered: false, settle: 'keep', notify: true, current: true, exit: 3, deliver: 'hold', advice: 'look at the email' },
  failed: { final: false, refused: false, delivered: false, settle: 'keep', notify: true, current: true, exit: 1, deliver: 75, advice: 'nothing: retried by itself' },
};

type Row = { outcome: Outcome; param?: true } & Partial<Omit<Meaning, 'advice'>> & { advice?: string | ((detail: string) => string) };

const RETRIED = 'nothing: retried by itself';
const LOOK = 'left in place for a person to look at';

/** Every reason: its outcome, whether it carries a parameter (`code:<detail>`), and where it differs from its outcome's meaning. */
const REASONS = {
  'not-token-email': { outcome: 'ignored' },
  // A token for a user not configured yet: kept by deliver, so that adding the account can use it.
  'unknown-user': { outcome: 'ignored', deliver: 'hold', advice: 'add the user to accounts in the config file if sftoken should keep its token' },
  'already-applied': { outcome: 'ignored', settle: 'safe' },
  duplicate: { outcome: 'ignored', settle: 'with-newer' },
  empty: { outcome: 'ignored' },
  'not-an-email': { outcome: 'ignored' },
  unparseable: { outcome: 'ignored' },

  // An access token issued for a jwt or client-credentials account, in every destination.
  issued: { outcome: 'stored', param: true },

  'newer-token': { outcome: 'superseded' },
  'older-than-applied': { outcome: 'superseded', settle: 'safe' },
  // A destination already had a token from a newer email (another replica wrote it): told, never silent.
  'destination-newer': { outcome: 'superseded', param: true, notify: true, advice: 'nothing to undo: the destination keeps its newer token; if replicas run, look for one that was paused' },

  'untrusted-sender': { outcome: 'rejected', advice: `not from Salesforce (or a listed forwarder): ${LOOK}` },
  'unexpected-sender': { outcome: 'rejected', advice: `Salesforce sends token emails from support@ only: ${LOOK}` },
  'dkim-missing': { outcome: 'rejected', advice: 'the email has no DKIM signature; the email is left in place' },
  'dkim-unaligned': { outcome: 'rejected', advice: 'the DKIM signature is not Salesforce’s; the email is left in place' },
  'dkim-fail': { outcome: 'rejected', param: true, advice: dkimAdvice },
  'auth-results-missing': { outcome: 'rejected', advice: 'your receiving server did not vouch for it (Authentication-Results); the email is left in place' },
  'auth-results-fail': { outcome: 'rejected', advice: 'your receiving server did not vouch for it (Authentication-Results); the email is left in place' },
  'no-token': { outcome: 'rejected', advice: 'a token email from Salesforce in which no username and token could be read: look at it, and reset the token if need be' },
  'no-username': { outcome: 'rejected', advice: 'a token email from Salesforce in which no username and token could be read: look at it, and reset the token if need be' },
  'ambiguous-token': { outcome: 'rejected', advice: 'a token email from Salesforce in which no username and token could be read: look at it, and reset the token if need be' },
  'smime-opaque': {
    outcome: 'rejected',
    advice: 'S/MIME opaque-signed or encrypted: the text is inside a PKCS#7 blob; have the gateway sign it clear (multipart/signed), or save the decrypted copy from a mail client and replay it',
  },
  'too-large': { outcome: 'rejected', advice: `the message is over --max-message-bytes: ${LOOK}` },
  // Fields a signer covers once: a copy above the signature is unsigned, and it is the one mail readers show.
  'repeated-header': {
    outcome: 'rejected',
    param: true,
    advice: `a field that may appear once appears twice: someone added one above the signed message, to move its date or its sender; ${LOOK}`,
  },
  'implausible-date': { outcome: 'rejected', param: true, advice: `the email is dated in the future or absurdly long ago: a forged or broken date; ${LOOK}` },
  'too-complex': { outcome: 'rejected', advice: 'the message took too long to read; it is left in place for a person to look at' },
  // Reported by an earlier run already: a person was told then, so it neither notifies nor fails the run again.
  'already-rejected': { outcome: 'rejected', notify: false, current: false, exit: 0, advice: 'look at the email; a fix of the password or the trust settings gives it one more try' },
  'login-rejected': { outcome: 'rejected', param: true, advice: 'fix the configured password and run again (one more try), or reset the token in Salesforce' },
  'login-interrupted': { outcome: 'rejected', advice: 'find why the process was killed; then change the password or reset the token' },
  'password-expired': { outcome: 'rejected', param: true, advice: "change the user's password in Salesforce and in the configuration" },
  'verification-unavailable': { outcome: 'rejected', param: true, advice: 'allow the login API for this user, or configure an OAuth client' },
  // invalid_grant is Salesforce's answer both to a wrong password and to a blocked username-password
  // flow: counted like a refusal (it may be one), with advice for both.
  'oauth-refused': { outcome: 'rejected', param: true, advice: oauthRefusedAdvice },

  // The token endpoint refused the grant: a person fixes the app, the certificate or the account.
  'grant-refused': { outcome: 'rejected', param: true, advice: 'fix what the note names (the External Client App, its certificate, the user), then run sftoken refresh' },
  'token-endpoint-unreachable': { outcome: 'failed', param: true, advice: 'nothing: retried with backoff, at most once a minute; the destinations keep the current token meanwhile' },
  'dkim-temperror': { outcome: 'failed', advice: RETRIED },
  'read-error': { outcome: 'failed', param: true, advice: RETRIED },
  'internal-error': { outcome: 'failed', advice: 'retried by itself; if it stays, run with SFTOKEN_LOG_LEVEL=debug and report it' },
  'lockout-guard': { outcome: 'failed', advice: RETRIED },
  'retry-backoff': { outcome: 'failed', advice: RETRIED },
  // A newer token for the user is not settled yet (waiting for Salesforce or the budget): this one
  // is kept behind it, untried, in case the newer one is refused. Told with the newer one, not apart.
  // Looked at again at the next sweep, where the replica that holds it now has finished it.
  'claim-lost': { outcome: 'failed', advice: 'nothing: another replica took the message over (this one was paused or slow past the claim expiry)' },
  'waiting-for-newer': { outcome: 'failed', notify: false, current: false, advice: 'nothing: tried only if the newer token is refused' },
  'salesforce-unreachable': { outcome: 'failed', param: true, advice: RETRIED },
  'store-unavailable': { outcome: 'failed', param: true, advice: 'retried without another login; check the destination' },
  // Salesforce closed the login path itself: nothing is known of the token, so it is kept and tried
  // again (at most hourly, never against the failed-login budget), and a person must act.
  'login-path-off': { outcome: 'failed', param: true, exit: 3, deliver: 'hold', advice: pathOffAdvice },
} as const satisfies Record<string, Row>;

export type ReasonCode = keyof typeof REASONS;
type ParamCode = { [C in ReasonCode]: (typeof REASONS)[C] extends { param: true } ? C : never }[ReasonCode];
type PlainCode = Exclude<ReasonCode, ParamCode>;

/** A reason as records, the ledger and JSON carry it: the code, then `:<detail>` where it has one. */
export type Reason = PlainCode | `${ParamCode}:${string}`;

/** The reasons of each outcome, as the type system sees them. */
export type ReasonOf<O extends Outcome> =
  { [C in PlainCode]: (typeof REASONS)[C]['outcome'] extends O ? C : never }[PlainCode] | { [C in ParamCode]: (typeof REASONS)[C]['outcome'] extends O ? `${C}:${string}` : never }[ParamCode];

/** How a token that went on was trusted: the reason of a stored or would-store record. */
export type TrustedVia = `dkim:${string}` | `sender:${string}` | `auth-results:${string}` | `forwarder:${string}`;

/** A reason's code, without its detail: what a metric labels it by (`repeated-header`, not `repeated-header:date`). */
export function codeOf(reason: string): string {
  const colon = reason.indexOf(':');
  return colon < 0 ? reason : reason.slice(0, colon);
}

// The same table, looked up by a code read at run time (from a record or the state file).
const ROWS: Readonly<Record<string, Row>> = REASONS;

function rowOf(reason: string | undefined): Row | undefined {
  if (reason === undefined) return undefined;
  const code = codeOf(reason);
  return Object.hasOwn(ROWS, code) ? ROWS[code] : undefined;
}

/** The outcome a reason belongs to: a stage names the reason, the table says what came of it. */
export function outcomeOf(reason: Reason): Outcome {
  return rowOf(reason)?.outcome ?? 'rejected';
}

/** A reason read back from the state file, if the table knows it in that form. */
export function asReason(value: string): Reason | null {
  const row = rowOf(value);
  if (!row || Boolean(row.param) !== value.includes(':')) return null;
  // Its code is a row of the table, with a detail exactly when the row takes one: a Reason.
  return value as Reason;
}

/** What a record's outcome and reason mean: the outcome's meaning, refined by its reason. */
export function meaning(outcome: Outcome, reason?: string): Meaning {
  const row = rowOf(reason);
  const base = BY_OUTCOME[outcome];
  if (!row || row.outcome !== outcome) return base;
  const { outcome: _o, param: _p, advice, ...rest } = row;
  const detail = reason?.slice(codeOf(reason).length + 1) ?? '';
  return { ...base, ...rest, advice: typeof advice === 'function' ? advice(detail) : (advice ?? base.advice) };
}

/** What a person does about a reason read back from the state file, whose outcome it implies. */
export function adviceFor(reason: string): string {
  const row = rowOf(reason);
  return row ? meaning(row.outcome, reason).advice : BY_OUTCOME.rejected.advice;
}

/** DESIGN §2: the highest part wins (3: a person must look; 1: something is retried; 0: all is well). */
export function exitCodeFor(records: ReadonlyArray<{ outcome: Outcome; reason?: string }>): 0 | 1 | 3 {
  let code: 0 | 1 | 3 = 0;
  for (const r of records) {
    const part = meaning(r.outcome, r.reason).exit;
    if (part > code) code = part;
  }
  return code;
}

function dkimAdvice(detail: string): string {
  if (detail === 'body-hash') return 'the body changed on the way (a mail gateway rewrote it): try --trust auth-results with your receiving server';
  if (detail === 'no-key') return 'DNS has no key for the signature: check DNS, or give the key with --dkim-keys';
  return 'the DKIM signature does not prove Salesforce sent it; the email is left in place';
}

const ACROSS = 'and move this integration to JWT bearer or client credentials before SOAP login() ends everywhere in Summer \u201927 (`sftoken status` shows the date)';

function pathOffAdvice(detail: string): string {
  const retry = 'then the kept email is tried again within the hour (or at once: sftoken ingest, or sftoken replay on the held folder)';
  if (detail === 'soap-version') return `SOAP login() does not exist at API 65.0 and later: set the account's apiVersion to 64.0, ${retry}, ${ACROSS}`;
  if (detail === 'soap-permission') return `the user lacks the Use Any API Auth permission that SOAP login() needs: grant it with a permission set, ${retry}, ${ACROSS}`;
  return `SOAP login() is off in this org: in Setup, User Interface, select Enable SOAP API login(); ${retry}, ${ACROSS}`;
}

function oauthRefusedAdvice(): string {
  return (
    "Salesforce answers a blocked username-password flow and a wrong password alike: open the user's Login History. " +
    '"Username-Password Flow Disabled": in Setup, OAuth and OpenID Connect Settings, turn on Allow OAuth Username-Password Flows (Connected Apps lose this flow on 2027-02-20), then reset the token; ' +
    'otherwise fix the configured password and run again (the token gets one more try)'
  );
}
