import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TransientError } from '../../../src/util/errors.js';
import { processBatch } from '../../../src/pipeline/index.js';
import { TooLarge, type Verifier } from '../../../src/pipeline/types.js';
import { readFile } from 'node:fs/promises';
import { MemoryStore, bytesMessage, fixtureMessage, memoryDeps } from '../../helpers/memory.js';
import { fixturePath } from '../../helpers/fixtures.js';

test('a trusted token email is stored and the ledger learns its fingerprint only', async () => {
  const deps = await memoryDeps();
  const [h] = await processBatch([await fixtureMessage('01-plain-text.eml')], deps);
  assert.equal(h?.record.outcome, 'stored');
  assert.equal(deps.store.entries.get('plain@acme.com')?.token, 'aB3dE5fG7hJ9kL1mN2pQ4rS6');
  assert.equal(deps.ledger.applied('plain@acme.com')?.fingerprint, 'sha256:b97bf19568ec');
  assert.doesNotMatch(JSON.stringify(deps.ledger.snapshot()), /aB3dE5fG7hJ9kL1mN2pQ4rS6/);
});

test('a store that fails leaves the message failed and the ledger unchanged, for a retry', async () => {
  const deps = await memoryDeps();
  deps.store.failWith = new TransientError('keyring locked');
  const [h] = await processBatch([await fixtureMessage('01-plain-text.eml')], deps);
  assert.deepEqual([h?.record.outcome, h?.record.reason], ['failed', 'store-unavailable:memory']);
  assert.equal(deps.ledger.applied('plain@acme.com'), undefined);
});

test('a token the verifier rejects is remembered and never stored; a transient answer is not remembered', async () => {
  const calls: string[] = [];
  const rejecting: Verifier = { credentialFingerprint: () => null, verify: async (_u, _t, fp) => (calls.push(fp), { verdict: 'rejected', reason: 'login-rejected:INVALID_LOGIN', remember: true }) };
  const deps = await memoryDeps({ verifier: rejecting });
  const [h] = await processBatch([await fixtureMessage('01-plain-text.eml')], deps);
  assert.deepEqual([h?.record.outcome, h?.record.reason], ['rejected', 'login-rejected:INVALID_LOGIN']);
  assert.equal(deps.store.writes, 0);
  assert.ok(deps.ledger.rejection('sha256:b97bf19568ec'));
  const [again] = await processBatch([await fixtureMessage('01-plain-text.eml')], deps);
  assert.deepEqual([again?.record.outcome, again?.record.reason], ['rejected', 'already-rejected']);
  assert.equal(calls.length, 1, 'the verifier is asked once, ever');

  const flaky: Verifier = { credentialFingerprint: () => null, verify: async () => ({ verdict: 'transient', reason: 'salesforce-unreachable:HTTP_503' }) };
  const deps2 = await memoryDeps({ verifier: flaky });
  const [t] = await processBatch([await fixtureMessage('01-plain-text.eml')], deps2);
  assert.equal(t?.record.outcome, 'failed');
  assert.equal(deps2.ledger.rejection('sha256:b97bf19568ec'), undefined);
  assert.equal(deps2.store.writes, 0);
});

test('an untrusted token email never reaches the verifier or the store', async () => {
  let asked = 0;
  const deps = await memoryDeps({ verifier: { credentialFingerprint: () => null, verify: async () => (asked++, { verdict: 'accepted' }) } });
  const handled = await processBatch(await Promise.all(['13-lookalike-domain.eml', '14-display-name-spoof.eml', '15-forwarded-by-person.eml'].map((f, i) => fixtureMessage(f, i))), deps);
  assert.deepEqual(
    handled.map((h) => h.record.reason),
    ['untrusted-sender', 'untrusted-sender', 'untrusted-sender'],
  );
  assert.equal(asked, 0);
  assert.equal(deps.store.writes, 0);
});

test('with accounts configured, a token for anyone else is ignored as unknown-user', async () => {
  const deps = await memoryDeps({ knownUser: (u) => u === 'someone@else.com' });
  const [h] = await processBatch([await fixtureMessage('01-plain-text.eml')], deps);
  assert.deepEqual([h?.record.outcome, h?.record.reason], ['ignored', 'unknown-user']);
});

test('records come out oldest first, whatever the input order', async () => {
  const deps = await memoryDeps();
  const files = ['19-same-user-3.eml', '12-old-subject.eml', '19-same-user-1.eml'];
  const handled = await processBatch(await Promise.all(files.map((f, i) => fixtureMessage(f, i))), deps);
  assert.deepEqual(
    handled.map((h) => h.record.source),
    ['12-old-subject.eml', '19-same-user-1.eml', '19-same-user-3.eml'],
  );
});

test('a rejection counts only against the credential it was made with', async () => {
  let credential = 'sha256:aaaaaaaaaaaa' as const as `sha256:${string}`;
  let logins = 0;
  const verifier: Verifier = {
    credentialFingerprint: () => credential,
    verify: async () => (logins++, { verdict: 'rejected', reason: 'login-rejected:INVALID_LOGIN', remember: true }),
  };
  const deps = await memoryDeps({ verifier });
  await processBatch([await fixtureMessage('01-plain-text.eml')], deps);
  const [same] = await processBatch([await fixtureMessage('01-plain-text.eml')], deps);
  assert.equal(same?.record.reason, 'already-rejected');
  credential = 'sha256:bbbbbbbbbbbb';
  await processBatch([await fixtureMessage('01-plain-text.eml')], deps);
  assert.equal(logins, 2, 'a new password earns the token exactly one more try');
});

test('a message that makes a stage throw is left failed and the rest of the batch goes on', async () => {
  const deps = await memoryDeps({
    trust: async ({ email }) => {
      if (email.from?.address === 'support@emea.salesforce.com') throw new Error('unforeseen input');
      return { kind: 'trusted', via: 'sender:test' };
    },
  });
  const handled = await processBatch([await fixtureMessage('08-regional-sender.eml', 0), await fixtureMessage('01-plain-text.eml', 1)], deps);
  assert.deepEqual(handled.map((h) => [h.record.source, h.record.outcome, h.record.reason]).sort(), [
    ['01-plain-text.eml', 'stored', 'sender:test'],
    ['08-regional-sender.eml', 'failed', 'internal-error'],
  ]);
});

test('a destination added after a token was applied gets it on the next run, without another login', async () => {
  let logins = 0;
  const verifier: Verifier = { credentialFingerprint: () => null, verify: async () => (logins++, { verdict: 'accepted' }) };
  const deps = await memoryDeps({ verifier });
  await processBatch([await fixtureMessage('01-plain-text.eml')], deps);
  const [same] = await processBatch([await fixtureMessage('01-plain-text.eml')], deps);
  assert.equal(same?.record.reason, 'already-applied');
  const extra = new MemoryStore();
  const withNew = {
    ...deps,
    destinations: () => [
      { spec: 'memory', store: deps.store },
      { spec: 'memory-2', store: extra },
    ],
  };
  const [added] = await processBatch([await fixtureMessage('01-plain-text.eml')], withNew);
  assert.equal(added?.record.outcome, 'stored');
  assert.equal(extra.entries.get('plain@acme.com')?.token, 'aB3dE5fG7hJ9kL1mN2pQ4rS6');
  assert.equal(deps.store.writes, 1, 'the first destination is not written again');
  assert.equal(logins, 1, 'one login in all');
});

test('a message over its time budget is refused as too-complex, remembered, and never stored', async () => {
  const deps = await memoryDeps({ messageBudgetMs: -1 });
  const [first] = await processBatch([await fixtureMessage('01-plain-text.eml')], deps);
  assert.deepEqual([first?.record.outcome, first?.record.reason], ['rejected', 'too-complex']);
  assert.equal(first?.record.fingerprint, undefined, 'not read far enough to have one');
  assert.equal(deps.store.entries.size, 0);
  const [again] = await processBatch([await fixtureMessage('01-plain-text.eml')], deps);
  assert.deepEqual([again?.record.outcome, again?.record.reason], ['rejected', 'already-rejected']);
});

test('a message found too large only while reading it is refused, and not read again', async () => {
  const deps = await memoryDeps();
  let reads = 0;
  const liar = {
    source: 'imap:INBOX/1/7',
    receivedAt: null,
    sequence: 7,
    size: 1000,
    load: async (): Promise<Buffer> => {
      reads++;
      throw new TooLarge('the server sent more than it said');
    },
  };
  const [first] = await processBatch([liar], deps);
  assert.deepEqual([first?.record.outcome, first?.record.reason], ['rejected', 'too-large']);
  const [again] = await processBatch([liar], deps);
  assert.deepEqual([again?.record.outcome, again?.record.reason], ['rejected', 'already-rejected']);
  assert.equal(reads, 1);
});

test('a token that was not proven never supersedes another: a refused newest one lets the next be tried; a waiting one keeps the rest waiting', async () => {
  const files = ['19-same-user-1.eml', '19-same-user-2.eml', '19-same-user-3.eml'];
  const tried: string[] = [];
  const refuseNewest: Verifier = {
    credentialFingerprint: () => null,
    verify: async (_u, _t, fp) => (tried.push(fp), tried.length === 1 ? { verdict: 'rejected', reason: 'login-rejected:INVALID_LOGIN', remember: true } : { verdict: 'accepted' }),
  };
  const deps = await memoryDeps({ verifier: refuseNewest });
  const handled = await processBatch(await Promise.all(files.map((f, i) => fixtureMessage(f, i))), deps);
  assert.deepEqual(
    handled.map((h) => [h.message.source, h.record.outcome, h.record.reason ?? null]),
    [
      ['19-same-user-1.eml', 'superseded', 'newer-token'],
      ['19-same-user-2.eml', 'stored', 'sender:salesforce.com'],
      ['19-same-user-3.eml', 'rejected', 'login-rejected:INVALID_LOGIN'],
    ],
  );
  assert.equal(tried.length, 2, 'the newest, refused; then the next, stored; the oldest never');

  const waiting: Verifier = { credentialFingerprint: () => null, verify: async () => ({ verdict: 'transient', reason: 'lockout-guard' }) };
  const deps2 = await memoryDeps({ verifier: waiting });
  const held = await processBatch(await Promise.all(files.map((f, i) => fixtureMessage(f, i))), deps2);
  assert.deepEqual(
    held.map((h) => h.record.reason),
    ['waiting-for-newer', 'waiting-for-newer', 'lockout-guard'],
    'nothing is superseded by a token still waiting',
  );
});

test('a token email dated in the future or before any token email existed, or with a repeated Date, is refused before a login, and stays unread', async () => {
  const raw = (await readFile(fixturePath('01-plain-text.eml'), 'latin1')).replace(/\r?\n/g, '\r\n');
  const dated = (date: string) => raw.replace(/^Date: .*$/m, `Date: ${date}`);
  let asked = 0;
  const deps = await memoryDeps({ verifier: { credentialFingerprint: () => null, verify: async () => (asked++, { verdict: 'accepted' }) } });
  const handled = await processBatch(
    [
      bytesMessage(dated(new Date(Date.now() + 3600_000).toUTCString()), 'future', 1),
      bytesMessage(dated('Thu, 01 Jan 1970 00:00:00 +0000'), 'ancient', 2),
      bytesMessage(`Date: ${new Date().toUTCString()}\r\n${raw}`, 'repeated', 3),
    ],
    deps,
  );
  assert.deepEqual(handled.map((h) => [h.message.source, h.record.outcome, h.record.reason]).sort(), [
    ['ancient', 'rejected', 'implausible-date:ancient'],
    ['future', 'rejected', 'implausible-date:future'],
    ['repeated', 'rejected', 'repeated-header:date'],
  ]);
  assert.equal(asked, 0, 'no login for any of them');
  assert.equal(deps.store.writes, 0);
});
