import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adviceFor, exitCodeFor, meaning, outcomeOf } from '../../../src/pipeline/outcomes.js';

test('a stage names the reason and the table gives the outcome', () => {
  assert.equal(outcomeOf('not-token-email'), 'ignored');
  assert.equal(outcomeOf('newer-token'), 'superseded');
  assert.equal(outcomeOf('login-rejected:INVALID_LOGIN'), 'rejected');
  assert.equal(outcomeOf('salesforce-unreachable:ECONNRESET'), 'failed');
  assert.equal(outcomeOf('store-unavailable:file /x'), 'failed');
});

test('exit codes: a fresh refusal is 3, a failure 1, an old refusal and everything else 0', () => {
  assert.equal(exitCodeFor([]), 0);
  assert.equal(
    exitCodeFor([
      { outcome: 'stored', reason: 'dkim:salesforce.com' },
      { outcome: 'ignored', reason: 'not-token-email' },
    ]),
    0,
  );
  assert.equal(exitCodeFor([{ outcome: 'rejected', reason: 'already-rejected' }]), 0);
  assert.equal(
    exitCodeFor([
      { outcome: 'failed', reason: 'lockout-guard' },
      { outcome: 'rejected', reason: 'already-rejected' },
    ]),
    1,
  );
  assert.equal(
    exitCodeFor([
      { outcome: 'failed', reason: 'lockout-guard' },
      { outcome: 'rejected', reason: 'dkim-fail:body-hash' },
    ]),
    3,
  );
});

test('only a refusal reported for the first time, a stored token or a failure is notified', () => {
  assert.equal(meaning('rejected', 'login-rejected:INVALID_LOGIN').notify, true);
  assert.equal(meaning('rejected', 'already-rejected').notify, false);
  assert.equal(meaning('stored', 'dkim:salesforce.com').notify, true);
  assert.equal(meaning('failed', 'retry-backoff').notify, true);
  assert.equal(meaning('superseded', 'newer-token').notify, false);
  assert.equal(meaning('ignored', 'unknown-user').notify, false);
});

test('what may be settled: a safe token, or an older copy beside one; never a refusal or a failure', () => {
  assert.equal(meaning('stored', 'sender:salesforce.com').settle, 'safe');
  assert.equal(meaning('ignored', 'already-applied').settle, 'safe');
  assert.equal(meaning('superseded', 'older-than-applied').settle, 'safe');
  assert.equal(meaning('superseded', 'newer-token').settle, 'with-newer');
  assert.equal(meaning('ignored', 'duplicate').settle, 'with-newer');
  for (const [outcome, reason] of [
    ['rejected', 'no-token'],
    ['failed', 'internal-error'],
    ['would-store', 'sender:salesforce.com'],
    ['ignored', 'unknown-user'],
  ] as const) {
    assert.equal(meaning(outcome, reason).settle, 'keep', `${outcome} ${reason}`);
  }
});

test('deliver: a failure asks the mail server to try again, a refusal for good is held, the rest is delivered', () => {
  assert.equal(meaning('failed', 'salesforce-unreachable:HTTP_503').deliver, 75);
  for (const [outcome, reason] of [
    ['rejected', 'untrusted-sender'],
    ['rejected', 'login-rejected:INVALID_LOGIN'],
    ['rejected', 'too-large'],
    ['ignored', 'unknown-user'],
  ] as const) {
    assert.equal(meaning(outcome, reason).deliver, 'hold', `${outcome} ${reason}`);
  }
  for (const [outcome, reason] of [
    ['stored', 'dkim:salesforce.com'],
    ['ignored', 'not-token-email'],
    ['superseded', 'older-than-applied'],
  ] as const) {
    assert.equal(meaning(outcome, reason).deliver, 0, `${outcome} ${reason}`);
  }
});

test('advice follows the reason, its parameter included, and an unknown reason still gets some', () => {
  assert.match(adviceFor('login-rejected:INVALID_LOGIN'), /fix the configured password/);
  assert.match(adviceFor('dkim-fail:body-hash'), /--trust auth-results/);
  assert.match(adviceFor('dkim-fail:no-key'), /--dkim-keys/);
  assert.match(adviceFor('salesforce-unreachable:TIMEOUT'), /retried by itself/);
  assert.equal(adviceFor('something-new-from-a-later-version'), 'look at the email');
});

test('a reason the table does not list for that outcome falls back to the outcome', () => {
  assert.equal(meaning('failed', 'no-token').exit, 1);
  assert.equal(meaning('rejected', undefined).exit, 3);
});
