import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv } from '../helpers/cli.js';
import { Dovecot } from '../helpers/dovecot.js';
import { fixtureIndex, fixturePath } from '../helpers/fixtures.js';
import { leakedSecrets } from '../helpers/leaks.js';
import { noise } from '../helpers/noise.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';
import { Watcher } from '../helpers/watcher.js';
import { imapFlags } from '../helpers/imap-flags.js';

const IMAP_PW = 'imap-watch-Pa55';
const SF_PW = 'sf-watch-Pa55';
const fp = (file: string) => fixtureIndex().find((f) => f.file === file)?.fingerprint as string;
const fixture = (file: string) => readFile(fixturePath(file));
/** A fixture as newly delivered mail: a fresh Message-ID and Date, so it is a new token email. */
async function delivered(file: string, minute: number): Promise<string> {
  return (await fixture(file))
    .toString()
    .replace(/^Message-ID: <([^@]+)@/m, `Message-ID: <$1-${minute}@`)
    .replace(/^Date: .*$/m, `Date: Mon, 23 Nov 2026 10:${String(minute).padStart(2, '0')}:00 +0000`);
}

async function world(user: string, extraArgs: string[] = [], dovecotConfig = '') {
  const dovecot = await Dovecot.start({ [user]: IMAP_PW }, dovecotConfig);
  const sf = await SalesforceStandIn.start();
  for (const [username, file] of [
    ['plain@acme.com', '01-plain-text.eml'],
    ['multi@acme.com', '19-same-user-3.eml'],
    ['team-a@acme.com', '20-two-users-a.eml'],
  ] as const) {
    sf.addUser({ username, password: SF_PW, tokenFingerprint: fp(file) });
  }
  const home = await tempDir();
  const config = join(home, 'config.json');
  await writeFile(config, JSON.stringify({ accounts: ['plain@acme.com', 'multi@acme.com', 'team-a@acme.com'].map((username) => ({ username, password: { env: 'SF_PW' } })) }));
  const start = (more: string[] = [], env: Record<string, string> = {}) =>
    Watcher.start(
      [
        '--trust',
        'sender',
        '--config',
        config,
        ...imapFlags(dovecot.port, user),
        '--login-url',
        sf.url,
        '--store',
        `file:${join(home, 'tokens.json')}`,
        '--state',
        join(home, 'state.json'),
        '--heartbeat',
        '1',
        ...extraArgs,
        ...more,
      ],
      isolatedEnv(home, { SFTOKEN_IMAP_PASSWORD: IMAP_PW, SF_PW, ...env }),
    );
  return { dovecot, sf, home, start };
}

/** A watched mailbox "Tokens" whose first token is already stored: where both UIDVALIDITY tests begin. */
async function watchedTokensMailbox(user: string) {
  const env = await world(user, ['--mailbox', 'Tokens']);
  const admin = await env.dovecot.client(user, IMAP_PW);
  await admin.mailboxCreate('Tokens');
  await admin.append('Tokens', await fixture('01-plain-text.eml'));
  const watcher = env.start();
  await watcher.record((r) => r.outcome === 'stored', 'the first token');
  return { ...env, admin, watcher };
}

test('watch stores a delivered token, survives a server restart, and stops cleanly on SIGTERM', async () => {
  const user = 'watch@acme.com';
  const { dovecot, sf, start } = await world(user);
  await dovecot.append(user, IMAP_PW, [noise(1)]);
  const w = start();
  await w.log('watching');

  await dovecot.append(user, IMAP_PW, [await fixture('01-plain-text.eml')]);
  const first = await w.record((r) => r.username === 'plain@acme.com', 'the first token');
  assert.deepEqual([first.outcome, first.verified], ['stored', true]);

  await dovecot.down();
  await w.log('reconnecting');
  await dovecot.up();
  const logsBefore = w.logs.length;
  await w.log('watching', 20_000, logsBefore);
  await dovecot.append(user, IMAP_PW, [await fixture('19-same-user-3.eml')]);
  const second = await w.record((r) => r.username === 'multi@acme.com', 'the token delivered after the restart');
  assert.equal(second.outcome, 'stored');
  assert.equal(sf.attempts.length, 2);

  const { code, ms } = await w.stop('SIGTERM');
  assert.equal(code, 0);
  assert.ok(ms < 10_000, `stopped in ${ms} ms`);
  assert.ok(
    w.logs.some((l) => l.msg === 'heartbeat'),
    'heartbeats were logged',
  );
  assert.deepEqual(leakedSecrets(w.stdout + w.stderr, [IMAP_PW, SF_PW]), []);
});

test('mail delivered while the watcher is down is caught up on its next start', async () => {
  const user = 'catchup@acme.com';
  const { dovecot, sf, home, start } = await world(user);
  const w1 = start();
  await w1.log('watching');
  await dovecot.append(user, IMAP_PW, [await fixture('01-plain-text.eml')]);
  await w1.record((r) => r.outcome === 'stored', 'the first token');
  assert.equal((await w1.stop()).code, 0);

  await dovecot.append(user, IMAP_PW, [noise(2), await fixture('20-two-users-a.eml')]);
  const w2 = start();
  const caught = await w2.record((r) => r.username === 'team-a@acme.com', 'the token that arrived while down');
  assert.equal(caught.outcome, 'stored');
  assert.equal(w2.records.length, 1, 'what was handled before is not handled again');
  assert.equal(sf.attempts.length, 2);
  await w2.stop();
  const state = JSON.parse(await readFile(join(home, 'state.json'), 'utf8')) as { mailboxes: Record<string, { lastUid: number }> };
  assert.deepEqual(
    Object.values(state.mailboxes).map((m) => m.lastUid),
    [3],
  );
});

test('a UIDVALIDITY change makes the watcher read the mailbox again, without a second login', async () => {
  const { sf, start, admin, watcher: w1 } = await watchedTokensMailbox('uidvalidity@acme.com');
  await w1.stop();

  await admin.mailboxDelete('Tokens');
  await admin.mailboxCreate('Tokens');
  await admin.append('Tokens', await fixture('01-plain-text.eml'));
  await admin.append('Tokens', await delivered('20-two-users-a.eml', 5));
  await admin.logout();
  const w2 = start();
  await w2.log('UIDVALIDITY changed: reading the mailbox again from --since');
  const again = await w2.record((r) => r.username === 'team-a@acme.com', 'the new token');
  assert.equal(again.outcome, 'stored');
  assert.equal((await w2.record((r) => r.username === 'plain@acme.com', 'the old token, seen again')).reason, 'already-applied');
  assert.equal(sf.attempts.length, 2);
  await w2.stop();
});

test('health: /healthz answers 200 while IMAP round trips succeed, /metrics counts outcomes', async () => {
  const user = 'health@acme.com';
  const { dovecot, start } = await world(user);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const w = start(['--health-port', String(port)]);
  await w.log('watching');
  await dovecot.append(user, IMAP_PW, [await fixture('01-plain-text.eml')]);
  await w.record((r) => r.outcome === 'stored', 'the token');
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(health.status, 200);
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(metrics, /^sftoken_messages_total\{mailbox="[^"]+",outcome="stored"\} 1$/m);
  assert.match(metrics, /^sftoken_token_last_stored_timestamp_seconds\{username="plain@acme.com"\} \d+\.\d+$/m);
  assert.match(metrics, /^sftoken_imap_last_success_timestamp_seconds\{mailbox="[^"]+"\} [1-9]/m);
  await w.stop();
});

test('an idle watcher sweeps at every heartbeat without rewriting its state file; new mail moves the mark at once', async () => {
  const user = 'idle@acme.com';
  const { dovecot, home, start } = await world(user);
  const state = join(home, 'state.json');
  const w = start();
  await w.log('watching');
  await dovecot.append(user, IMAP_PW, [await fixture('01-plain-text.eml')]);
  await w.record((r) => r.outcome === 'stored', 'the token');
  const beats = () => w.logs.filter((l) => l.msg === 'heartbeat').length;
  const seen = beats();
  await w.waitFor(() => (beats() >= seen + 1 ? true : undefined), 'a heartbeat after the token');
  const before = await stat(state);
  await w.waitFor(() => (beats() >= seen + 4 ? true : undefined), 'three more heartbeats');
  assert.equal((await stat(state)).mtimeMs, before.mtimeMs, 'quiet sweeps leave the state file alone');
  const mark = () => Object.values((JSON.parse(readFileSync(state, 'utf8')) as { mailboxes: Record<string, { lastUid: number }> }).mailboxes)[0]?.lastUid ?? 0;
  const markBefore = mark();
  await dovecot.append(user, IMAP_PW, [await fixture('20-two-users-a.eml')]);
  await w.record((r) => r.username === 'team-a@acme.com', 'the second token');
  await w.waitFor(() => (mark() > markBefore ? true : undefined), 'the mark moved past the new mail');
  assert.equal((await w.stop()).code, 0);
});

test('a wrong IMAP password: watch says why and keeps retrying', async () => {
  const { start } = await world('badpw@acme.com');
  const w = start(['--no-verify'], { SFTOKEN_IMAP_PASSWORD: 'wrong' });
  const error = await w.log('mailbox unavailable');
  assert.match(String(error.error), /IMAP login refused/);
  await w.log('reconnecting');
  assert.equal(w.child.exitCode, null, 'still running');
  assert.equal((await w.stop()).code, 0);
  assert.doesNotMatch(w.stderr, /wrong/);
});

test('a server without IDLE is polled instead', async () => {
  const user = 'noidle@acme.com';
  // What Dovecot advertises after login, without IDLE.
  const { dovecot, start } = await world(user, ['--idle-restart', '1'], 'imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE UIDPLUS MOVE ESEARCH');
  const probe = await dovecot.client(user, IMAP_PW);
  assert.equal(probe.capabilities.has('IDLE'), false);
  await probe.logout();
  const w = start();
  await w.log('watching');
  await dovecot.append(user, IMAP_PW, [await fixture('01-plain-text.eml')]);
  assert.equal((await w.record((r) => r.username === 'plain@acme.com', 'the token, found by polling')).outcome, 'stored');
  await w.stop();
});

/**
 * Runs an admin command as a person would: Dovecot may refuse one at the instant the watcher
 * (polling every second here) is using the mailbox, so it is tried again; a final failure names
 * the command and quotes the server.
 */
async function said<T>(what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt < 20) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const e = err as { responseText?: string; serverResponseCode?: string };
      throw new Error(`${what}: ${String(err)} [${e.serverResponseCode ?? ''}] ${e.responseText ?? ''}`);
    }
  }
}

test('a mailbox recreated under a running watcher (new UIDVALIDITY) is read again', async () => {
  const { sf, admin, watcher: w } = await watchedTokensMailbox('live-uidvalidity@acme.com');
  const beforeDelete = w.logs.length;
  await said('delete', () => admin.mailboxDelete('Tokens'));
  // Re-created only once the watcher has let go of the old mailbox, as it happens in life: a
  // re-create racing the old session leaves Dovecot's maildir answering "deleted under us".
  await w.log('mailbox unavailable', 20_000, beforeDelete);
  const mail = await delivered('20-two-users-a.eml', 7);
  // Should Dovecot still be finishing the delete, create again whenever the append finds none.
  await said('create and append', async () => {
    await admin.mailboxCreate('Tokens').catch(() => undefined);
    return admin.append('Tokens', mail);
  });
  await admin.logout();
  const again = await w.record((r) => r.username === 'team-a@acme.com', 'the token in the recreated mailbox', 30_000);
  assert.equal(again.outcome, 'stored');
  assert.equal(sf.attempts.length, 2);
  assert.equal((await w.stop()).code, 0);
});

test('a missing mailbox is retried with a growing backoff, not every second for ever', async () => {
  const { start } = await world('nobox@acme.com', ['--mailbox', 'Nope']);
  const w = start();
  await w.waitFor(() => (w.logs.filter((l) => l.msg === 'reconnecting').length >= 3 ? true : undefined), 'three reconnects');
  const reconnects = w.logs.filter((l) => l.msg === 'reconnecting').slice(0, 3);
  assert.deepEqual(
    reconnects.map((l) => l.attempt),
    [1, 2, 3],
  );
  assert.match(String(w.logs.find((l) => l.msg === 'mailbox unavailable')?.error), /mailbox "Nope" does not exist/);
  assert.equal((await w.stop()).code, 0);
});
