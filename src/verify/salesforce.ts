import { credentialFingerprint, type Account } from '../config/accounts.js';
import type { LoginSettings } from '../config/index.js';
import type { Journal, Verdict, Verifier } from '../pipeline/types.js';
import { backoffMs } from '../util/backoff.js';
import { NEVER, sleep, withDeadline } from '../util/deadline.js';
import type { Fingerprint } from '../util/fingerprint.js';
import type { Logger } from '../util/log.js';
import { LockoutGuard } from './lockout.js';
import { describe } from '../util/errors.js';
import { classifyLoginError, type LoginFailure } from './login-errors.js';
import { defaultPathEnds, pathLabel, soapLoginMissing, type PathEnds } from './login-paths.js';
import { asReason } from '../pipeline/outcomes.js';

// In a run, waits stay short so that a one-shot command ends; across runs the ledger carries the
// longer waits, up to the point where one retry an hour costs nothing against any limit.
const IN_RUN_BACKOFF_CAP_MS = 30_000;
const ACROSS_RUNS_BACKOFF_CAP_MS = 60 * 60 * 1000;

/** One login attempt, in the smallest shape the verifier needs: jsforce in production. */
export type LoginAttempt = (account: Account, token: string, timeoutMs: number) => Promise<void>;

/** The real test login: jsforce, SOAP login() with a pinned API version, or OAuth with a client. */
const jsforceLogin: LoginAttempt = async (account, token, timeoutMs) => {
  // jsforce reads its HTTP timeout once, when it loads; its own default is 30 minutes.
  process.env.HTTP_TIMEOUT = String(timeoutMs);
  // jsforce's Connection alone: the package entry also loads Bulk, Metadata, Streaming and more,
  // which a login never uses and which cost start-up time (`deliver` starts once per message).
  // It is CommonJS: Node and the bundle both hand its exports object over as `default`.
  const { Connection } = (await import('jsforce/lib/connection.js')).default;
  const conn = new Connection({
    loginUrl: account.loginUrl,
    version: account.apiVersion,
    ...(account.oauth ? { oauth2: { clientId: account.oauth.clientId, clientSecret: account.oauth.clientSecret, loginUrl: account.loginUrl } } : {}),
  });
  // A guard above jsforce's own timeout, for an answer that stalls after its headers. The session
  // is dropped with the connection: the token is proven, nothing else is kept.
  await withDeadline(timeoutMs + 1000, () => conn.login(account.username, account.password + token), { expired: () => new Error('Request Timeout') });
};

/** What a test replaces to drive time instead of waiting for it. */
export interface VerifierClock {
  now(): Date;
  /** Ends early when the run stops. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const realClock: VerifierClock = { now: () => new Date(), sleep };

/** What the run (or a test) gives the verifier: the login itself, the clock, the run's stop. */
interface VerifierParts {
  login?: LoginAttempt;
  clock?: VerifierClock;
  stop?: AbortSignal;
  /**
   * Watch: a token kept because its login path was closed waits an hour between tries. A command
   * a person runs (after enabling the path) tries at once: such a login costs no budget.
   */
  waitOnClosedPaths?: boolean;
  /** When each login path ends (the config's dates), for what a closed path's note says. */
  pathEnds?: PathEnds;
}

function unavailableNote(account: Account, code: string): string {
  return account.oauth
    ? `Salesforce refused the OAuth client (${code}): check the client id and secret and the app's OAuth policies in Setup; or pass --no-verify`
    : `Salesforce refused the API login (${code}): the user needs the API Enabled permission and the org API access; or pass --no-verify`;
}

// While Salesforce says the login path is closed, a kept token email is tried again this often:
// soon enough to go through within the hour of an admin's fix, never often enough to matter.
const PATH_CLOSED_RETRY_MS = 60 * 60 * 1000;

function pathClosedNote(account: Account, path: string, ends: Date): string {
  const fix =
    path === 'soap-version'
      ? `API ${account.apiVersion} has no SOAP login(): set the account's apiVersion to 64.0`
      : path === 'soap-permission'
        ? 'the user lacks the Use Any API Auth permission that SOAP login() needs: grant it with a permission set'
        : 'SOAP API login() is off in this org: in Setup, User Interface, select Enable SOAP API login()';
  return `${fix}; the email is kept and tried again. SOAP login() ends everywhere on ${ends.toISOString().slice(0, 10)}: move this integration to JWT bearer or client credentials`;
}

// A login cut off by a crash may have reached Salesforce. Repeating it once recovers from one
// crash; a second cut-off means something kills the process at that moment (a crash loop), and
// more tries would only spend the user's failed-login budget.
const MAX_CUT_OFF_LOGINS = 2;

/**
 * Proves a token with one test login, guarding the integration user against lockout: each token
 * is tried once (the pipeline remembers rejections), failed logins per user are capped per hour,
 * and only transient failures are retried, with backoff carried across runs in the ledger.
 *
 * Every login is recorded in the journal before it is sent and its answer as soon as it comes,
 * each durable before the next step (DESIGN §2a, items 3 and 4): a crash between the two is found
 * on the next start, counted against the budget, and repeated at most once; a token that passed
 * is remembered, so a destination that failed is retried without another login. The journal is
 * all it writes; the retry schedule it decides goes back in the verdict.
 */
export class SalesforceVerifier implements Verifier {
  private readonly accounts: Map<string, Account>;
  private readonly guard: LockoutGuard;
  private readonly login: LoginAttempt;
  private readonly clock: VerifierClock;
  private readonly stop: AbortSignal;
  private readonly waitOnClosedPaths: boolean;
  private readonly pathEnds: PathEnds;

  constructor(
    accounts: readonly Account[],
    private readonly journal: Journal,
    private readonly log: Logger,
    private readonly options: LoginSettings,
    parts: VerifierParts = {},
  ) {
    this.accounts = new Map(accounts.map((a) => [a.username, a]));
    this.login = parts.login ?? jsforceLogin;
    this.clock = parts.clock ?? realClock;
    this.stop = parts.stop ?? NEVER;
    this.waitOnClosedPaths = parts.waitOnClosedPaths ?? false;
    this.pathEnds = parts.pathEnds ?? defaultPathEnds();
    this.guard = new LockoutGuard(journal, options.maxFailedLogins, () => this.clock.now());
  }

  credentialFingerprint(username: string): Fingerprint | null {
    const account = this.accounts.get(username);
    return account ? credentialFingerprint(account) : null;
  }

  async verify(username: string, token: string, fp: Fingerprint): Promise<Verdict> {
    const counted: string[] = [];
    const verdict = await this.decide(username, token, fp, counted);
    return counted.length ? { ...verdict, counted } : verdict;
  }

  /** One verification; every failed login it counts against the budget is added to `counted`. */
  private async decide(username: string, token: string, fp: Fingerprint, counted: string[]): Promise<Verdict> {
    const account = this.accounts.get(username);
    if (!account) return { verdict: 'rejected', reason: 'unknown-user', remember: false };
    if (this.journal.verified(fp)) {
      this.log.debug('token already passed its test login; no second login', { username, fingerprint: fp });
      return { verdict: 'accepted' };
    }
    const cutOff = this.journal.inFlight(fp);
    if (cutOff) {
      this.log.warn('a test login with this token was cut off before its answer; it may have counted', { username, fingerprint: fp, at: cutOff.startedAt });
      if (!cutOff.counted) {
        await this.journal.cutOffCounted(fp, cutOff, this.guard.keep);
        counted.push(cutOff.startedAt);
      }
      if (cutOff.count >= MAX_CUT_OFF_LOGINS) {
        await this.journal.loginAbandoned(fp);
        return {
          verdict: 'rejected',
          reason: 'login-interrupted',
          remember: true,
          note: `${cutOff.count} test logins with this token were cut off before Salesforce answered; it is not tried again, so as not to lock the user out: check the user in Salesforce, then change the configured password or reset the token`,
        };
      }
    }
    const label = pathLabel(account);
    const pending = this.journal.pendingRetry(fp);
    const waits = pending?.waiting === undefined || (this.waitOnClosedPaths && pending.path === label);
    if (pending && waits && new Date(pending.nextAttemptAt) > this.clock.now()) {
      const waiting = pending.waiting !== undefined ? asReason(pending.waiting) : null;
      return { verdict: 'transient', reason: waiting ?? 'retry-backoff', note: `last attempt failed (${pending.reason}); next try after ${pending.nextAttemptAt}` };
    }
    const fields = { username, fingerprint: fp, loginUrl: account.loginUrl, flow: account.oauth ? 'oauth-password' : 'soap' };
    // `accepted`: what the answer says of the login path itself, for status and check; a network
    // failure says nothing of it (undefined) and leaves the last answer standing.
    const answered = (failed: boolean, accepted: boolean | null | undefined, code?: string, verified = false) => {
      const at = this.clock.now();
      if (failed) counted.push(at.toISOString());
      return this.journal.loginAnswered(fp, {
        username,
        at,
        verified,
        failed,
        keepFailures: this.guard.keep,
        ...(accepted !== undefined ? { path: { label, accepted, ...(code ? { code } : {}) } } : {}),
      });
    };
    let failure: LoginFailure | null = null;
    let uncertain = false;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (!this.guard.allows(username)) {
        this.log.warn('lockout guard: no more test logins for this user this hour', { ...fields, limit: this.options.maxFailedLogins });
        return { verdict: 'transient', reason: 'lockout-guard', note: `${this.options.maxFailedLogins} failed logins in the last hour; waiting so as not to lock the user out` };
      }
      this.log.debug('test login', { ...fields, attempt: attempt + 1 });
      await this.journal.loginStarted(fp, { username, startedAt: this.clock.now().toISOString(), count: (this.journal.inFlight(fp)?.count ?? 0) + 1 });
      try {
        await this.login(account, token, this.options.timeoutMs);
      } catch (err) {
        failure = classifyLoginError(err);
        // Salesforce's generic answer to a version it does not serve, at a version without login().
        if (failure.kind === 'unavailable' && failure.code === 'UNSUPPORTED_API_VERSION' && soapLoginMissing(account)) failure = { kind: 'path-closed', code: failure.code, path: 'soap-version' };
        // The library's own words, for a person debugging an unexpected answer; redacted like every log line.
        this.log.debug('test login error', { ...fields, error: describe(err).split('\n')[0]?.slice(0, 300) });
      }
      if (!failure) {
        await answered(false, true, undefined, true);
        this.log.info('test login accepted', fields);
        return { verdict: 'accepted' };
      }
      this.log.warn('test login failed', { ...fields, kind: failure.kind, code: failure.code, attempt: attempt + 1 });
      if (failure.kind === 'rejected') {
        // Over OAuth the same answer also means the flow is blocked: what it says of the path is unknown.
        const oauth = account.oauth !== null;
        await answered(true, oauth ? null : true, failure.code);
        return {
          verdict: 'rejected',
          reason: oauth ? `oauth-refused:${failure.code}` : `login-rejected:${failure.code}`,
          remember: true,
          retry: null,
          note: oauth
            ? 'Salesforce refused the OAuth username-password login: either the password + token is wrong or the flow is blocked for this org or client (Login History tells which)'
            : 'Salesforce refused password + token: if the configured password is wrong, fix it and run again (the token gets one more try); otherwise reset the token in Salesforce',
        };
      }
      if (failure.kind === 'password-expired') {
        await answered(false, true, failure.code);
        return {
          verdict: 'rejected',
          reason: `password-expired:${failure.code}`,
          remember: false,
          note: "the integration user's password has expired: change it in Salesforce (a new token email follows) and update the configured password",
        };
      }
      if (failure.kind === 'path-closed') {
        // Salesforce judged the path, not the credentials: not a failed login against the budget.
        await answered(false, false, failure.code);
        const reason = `login-path-off:${failure.path}` as const;
        const retry = {
          attempts: (pending?.attempts ?? 0) + 1,
          nextAttemptAt: new Date(this.clock.now().getTime() + PATH_CLOSED_RETRY_MS).toISOString(),
          reason: failure.code,
          waiting: reason,
          path: label,
        };
        return { verdict: 'transient', reason, retry, note: pathClosedNote(account, failure.path, this.pathEnds['soap-login']) };
      }
      if (failure.kind === 'unavailable') {
        await answered(false, null, failure.code);
        return { verdict: 'rejected', reason: `verification-unavailable:${failure.code}`, remember: false, note: unavailableNote(account, failure.code) };
      }
      // Only a login that may have reached Salesforce counts: a 503 or a refused connection did not.
      uncertain ||= failure.uncertain;
      await answered(failure.uncertain, undefined);
      if (attempt < this.options.retries) {
        await this.clock.sleep(backoffMs(attempt, this.options.backoffBaseMs, IN_RUN_BACKOFF_CAP_MS), this.stop);
        failure = null;
      }
    }
    const code = failure?.code ?? 'UNKNOWN';
    if (!uncertain) {
      // Salesforce never saw these (a 503, a refused connection): nothing to wait for, so the
      // token goes out at the next run or heartbeat, as soon as Salesforce answers again.
      return { verdict: 'transient', reason: `salesforce-unreachable:${code}`, retry: null, note: 'Salesforce did not answer the test login; tried again at the next run' };
    }
    const attempts = (pending?.attempts ?? 0) + 1;
    const nextAttemptAt = new Date(this.clock.now().getTime() + backoffMs(attempts, this.options.backoffBaseMs, ACROSS_RUNS_BACKOFF_CAP_MS)).toISOString();
    return { verdict: 'transient', reason: `salesforce-unreachable:${code}`, retry: { attempts, nextAttemptAt, reason: code }, note: `test login did not complete; next try after ${nextAttemptAt}` };
  }
}
