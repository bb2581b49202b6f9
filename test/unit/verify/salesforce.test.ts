import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Account } from '../../../src/config/accounts.js';
import { ledgerJournal } from '../../../src/state/journal.js';
import { Ledger } from '../../../src/state/ledger.js';
import type { Fingerprint } from '../../../src/util/fingerprint.js';
import { silentLogger } from '../../../src/util/log.js';
import { SalesforceVerifier, type LoginAttempt, type VerifierClock } from '../../../src/verify/salesforce.js';
import { tempDir } from '../../helpers/tmp.js';

const account: Account = { username: 'int@acme.com', password: 'pw-123456', loginUrl: 'https://login.salesforce.com', apiVersion: '64.0', oauth: null, destinations: null };
const FP: Fingerprint = 'sha256:aaaaaaaaaaaa';
const OPTIONS = { timeoutMs: 1000, retries: 1, backoffBaseMs: 1000, maxFailedLogins: 3 };

/** A clock that only moves when told to; sleeping moves it by the time slept. */
function fakeClock(start = '2026-11-25T12:00:00Z'): VerifierClock & { advance(ms: number): void; slept: number[] } {
  let now = new Date(start).getTime();
  const slept: number[] = [];
  return {
    slept,
    now: () => new Date(now),
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    advance: (ms) => (now += ms),
  };
}

/** A login that answers from a script, one answer per attempt, and counts attempts. */
function scripted(...answers: Array<'ok' | Error>): LoginAttempt & { calls: number } {
  const login = Object.assign(
    async () => {
      const answer = answers[login.calls++] ?? answers[answers.length - 1];
      if (answer instanceof Error) throw answer;
    },
    { calls: 0 },
  );
  return login;
}

const unavailable = () => Object.assign(new Error('request failed'), { name: 'ERROR_HTTP_503' });
const refused = () => new Error('INVALID_LOGIN: Invalid username, password, security token; or user locked out.');

async function verifier(login: LoginAttempt, clock: VerifierClock, options = OPTIONS) {
  const ledger = await Ledger.open(join(await tempDir(), 'state.json'));
  return {
    ledger,
    v: new SalesforceVerifier(
      [account],
      ledgerJournal(ledger, () => ledger.save()),
      silentLogger,
      options,
      { login, clock },
    ),
  };
}

test('a transient failure is retried within the run after a backoff, without real waiting', async () => {
  const clock = fakeClock();
  const login = scripted(unavailable(), 'ok');
  const { v } = await verifier(login, clock);
  assert.deepEqual(await v.verify(account.username, 'token', FP), { verdict: 'accepted' });
  assert.equal(login.calls, 2);
  assert.equal(clock.slept.length, 1);
  assert.ok((clock.slept[0] ?? 0) >= 500 && (clock.slept[0] ?? 0) <= 1000, 'the first retry waits 50-100 % of the base');
});

const timeout = () => new Error('Request Timeout');

test('a 503 leaves nothing to wait for: the next run tries at once', async () => {
  const clock = fakeClock();
  const login = scripted(unavailable(), unavailable(), 'ok');
  const { ledger, v } = await verifier(login, clock);
  assert.equal((await v.verify(account.username, 'token', FP)).verdict, 'transient');
  assert.equal(ledger.pendingRetry(FP), undefined);
  assert.deepEqual(ledger.failedLogins(account.username), [], 'no failed-login budget spent');
  assert.deepEqual(await v.verify(account.username, 'token', FP), { verdict: 'accepted' });
});

test('after a failure that may have counted, the backoff is carried across runs: no login before its time, one as soon as it has passed', async () => {
  const clock = fakeClock();
  const login = scripted(timeout(), timeout(), 'ok');
  const { ledger, v } = await verifier(login, clock);
  const first = await v.verify(account.username, 'token', FP);
  assert.equal(first.verdict, 'transient');
  assert.equal(login.calls, 2);
  // The schedule comes back in the verdict; the pipeline records it, as here.
  assert.ok(first.verdict === 'transient' && first.retry, 'a schedule for the next run');
  ledger.recordRetry(FP, first.retry);
  const next = new Date(ledger.pendingRetry(FP)?.nextAttemptAt ?? 0).getTime();
  assert.ok(next > clock.now().getTime());

  const early = await v.verify(account.username, 'token', FP);
  assert.deepEqual([early.verdict, 'reason' in early ? early.reason : ''], ['transient', 'retry-backoff']);
  assert.equal(login.calls, 2, 'no login while the backoff runs');

  clock.advance(next - clock.now().getTime());
  assert.deepEqual(await v.verify(account.username, 'token', FP), { verdict: 'accepted' });
  assert.equal(login.calls, 3);
  assert.equal(ledger.pendingRetry(FP), undefined, 'success clears the pending retry');
});

test('the lockout guard stops at the budget and opens again an hour after the failures', async () => {
  const clock = fakeClock();
  const login = scripted(refused());
  const { v } = await verifier(login, clock, { ...OPTIONS, maxFailedLogins: 2 });
  const fps: Fingerprint[] = ['sha256:000000000001', 'sha256:000000000002', 'sha256:000000000003'];
  assert.equal((await v.verify(account.username, 't1', fps[0] ?? FP)).verdict, 'rejected');
  assert.equal((await v.verify(account.username, 't2', fps[1] ?? FP)).verdict, 'rejected');
  const guarded = await v.verify(account.username, 't3', fps[2] ?? FP);
  assert.deepEqual([guarded.verdict, 'reason' in guarded ? guarded.reason : ''], ['transient', 'lockout-guard']);
  assert.equal(login.calls, 2, 'the guard sends nothing');

  clock.advance(60 * 60 * 1000);
  assert.equal((await v.verify(account.username, 't3', fps[2] ?? FP)).verdict, 'rejected');
  assert.equal(login.calls, 3);
});

test('a refusal is final at once: no retry, no sleep', async () => {
  const clock = fakeClock();
  const login = scripted(refused());
  const { v } = await verifier(login, clock);
  const verdict = await v.verify(account.username, 'token', FP);
  assert.deepEqual([verdict.verdict, 'reason' in verdict ? verdict.reason : ''], ['rejected', 'login-rejected:INVALID_LOGIN']);
  assert.equal(login.calls, 1);
  assert.deepEqual(clock.slept, []);
});

test('a closed login path: no budget spent; watch waits an hour before the next try, a person-run command or another API version tries at once', async () => {
  const disabled = () => new Error('INVALID_OPERATION: SOAP API login() is disabled by default in this org. Contact the org administrator to enable SOAP API login().');
  const clock = fakeClock();
  const login = scripted(disabled(), disabled(), disabled(), 'ok');
  const ledger = await Ledger.open(join(await tempDir(), 'state.json'));
  const journal = ledgerJournal(ledger, () => ledger.save());
  const watching = new SalesforceVerifier([account], journal, silentLogger, OPTIONS, { login, clock, waitOnClosedPaths: true });
  const first = await watching.verify(account.username, 'tok', FP);
  assert.equal(first.verdict === 'transient' && first.reason, 'login-path-off:soap-disabled');
  if (first.verdict === 'transient' && first.retry) ledger.recordRetry(FP, first.retry);
  assert.deepEqual(ledger.failedLogins(account.username), [], 'not a failed login');
  assert.equal(ledger.loginPath(account.username)?.accepted, false);
  const waiting = await watching.verify(account.username, 'tok', FP);
  assert.equal(waiting.verdict === 'transient' && waiting.reason, 'login-path-off:soap-disabled', 'the same reason while it waits, not retry-backoff');
  assert.equal(login.calls, 1, 'no login while waiting');
  const byHand = new SalesforceVerifier([account], journal, silentLogger, OPTIONS, { login, clock });
  await byHand.verify(account.username, 'tok', FP);
  assert.equal(login.calls, 2, 'a command a person runs tries at once');
  const otherVersion = new SalesforceVerifier([{ ...account, apiVersion: '63.0' }], journal, silentLogger, OPTIONS, { login, clock, waitOnClosedPaths: true });
  await otherVersion.verify(account.username, 'tok', FP);
  assert.equal(login.calls, 3, 'another path is tried at once');
  clock.advance(60 * 60 * 1000 + 1);
  assert.deepEqual(await watching.verify(account.username, 'tok', FP), { verdict: 'accepted' });
  assert.equal(ledger.loginPath(account.username)?.accepted, true);
});
