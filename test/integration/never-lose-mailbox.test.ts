import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HANDLED_KEYWORD } from '../../src/sources/imap/search.js';
import { isolatedEnv, jsonLines, sftoken } from '../helpers/cli.js';
import { Dovecot } from '../helpers/dovecot.js';
import { fixtureIndex, fixturePath } from '../helpers/fixtures.js';
import { leakedSecrets } from '../helpers/leaks.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';
import { Watcher } from '../helpers/watcher.js';
import { imapFlags, visibleFlags } from '../helpers/imap-flags.js';

// DESIGN §2a in a real mailbox: a token email leaves the mailbox only once its token is safe,
// a fixed mistake gets the refused token its one more try, and trouble never costs extra logins.
const IMAP_PW = 'never-lose-imap-Pa55';
const SF_PW = 'never-lose-sf-Pa55';
const PLAIN = '<01-plain-text@sfdc.example.net>';
const fp = (file: string) => fixtureIndex().find((f) => f.file === file)?.fingerprint as string;

async function world(user: string) {
  const dovecot = await Dovecot.start({ [user]: IMAP_PW });
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: 'plain@acme.com', password: SF_PW, tokenFingerprint: fp('01-plain-text.eml') });
  const home = await tempDir();
  const dest = join(home, 'dest');
  await mkdir(dest);
  const tokens = join(dest, 'tokens.json');
  const common = (password: string) => ({
    args: ['--trust', 'sender', ...imapFlags(dovecot.port, user), '--login-url', sf.url, '--store', `file:${tokens}`, '--state', join(home, 'state.json')],
    env: isolatedEnv(home, { SFTOKEN_IMAP_PASSWORD: IMAP_PW, SFTOKEN_SF_USERNAME: 'plain@acme.com', SFTOKEN_SF_PASSWORD: password }),
  });
  const ingest = (extra: string[] = [], password = SF_PW) => {
    const { args, env } = common(password);
    return sftoken(['ingest', '--since', '1d', '--json', ...args, ...extra], env);
  };
  const watch = (extra: string[] = [], password = SF_PW, env: Record<string, string> = {}) => {
    const c = common(password);
    return Watcher.start([...c.args, '--heartbeat', '1', ...extra], { ...c.env, ...env });
  };
  const flags = async (): Promise<Map<string, string[]>> => {
    const c = await dovecot.client(user, IMAP_PW);
    const out = new Map<string, string[]>();
    try {
      const lock = await c.getMailboxLock('INBOX');
      try {
        if (c.mailbox && c.mailbox.exists) for await (const m of c.fetch('1:*', { envelope: true, flags: true })) out.set(m.envelope?.messageId ?? '', [...(m.flags ?? [])].sort());
      } finally {
        lock.release();
      }
    } finally {
      await c.logout();
    }
    return out;
  };
  const stored = async (): Promise<string | undefined> =>
    existsSync(tokens) ? (JSON.parse(await readFile(tokens, 'utf8')) as Record<string, { fingerprint: string }>)['plain@acme.com']?.fingerprint : undefined;
  return { dovecot, sf, home, dest, tokens, ingest, watch, flags, stored, deliver: async (m: string | Buffer) => dovecot.append(user, IMAP_PW, [m]) };
}

test('a password typo costs nothing: the email stays unread, and after the fix the token is stored with 2 logins in all', async () => {
  const { sf, ingest, flags, stored, deliver } = await world('typo@acme.com');
  await deliver(await readFile(fixturePath('01-plain-text.eml')));

  const typo = await ingest(['--after', 'delete'], 'sf-Pa55-typo');
  assert.equal(typo.code, 3, 'a refusal: a person must look');
  assert.deepEqual(
    jsonLines(typo.stdout).map((r) => [r.outcome, r.reason]),
    [['rejected', 'login-rejected:INVALID_LOGIN']],
  );
  assert.deepEqual(visibleFlags((await flags()).get(PLAIN)), [], 'still in the mailbox, unread, even with --after delete');

  const same = await ingest(['--after', 'delete'], 'sf-Pa55-typo');
  assert.deepEqual(
    jsonLines(same.stdout).map((r) => r.reason),
    ['already-rejected'],
    'no second login with the same password',
  );
  assert.equal(sf.attempts.length, 1);

  const fixed = await ingest(['--after', 'flag']);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.deepEqual(
    jsonLines(fixed.stdout).map((r) => r.outcome),
    ['stored'],
  );
  assert.equal(await stored(), fp('01-plain-text.eml'));
  assert.equal(sf.attempts.length, 2, 'exactly one more try after the fix');
  assert.deepEqual(visibleFlags((await flags()).get(PLAIN)), [HANDLED_KEYWORD, '\\Seen'], 'settled once safe');
});

test("Salesforce's own error mail quoting the login fault is left alone, even with --after delete", async () => {
  const { ingest, flags, deliver } = await world('apex@acme.com');
  const fault = 'INVALID_LOGIN: Invalid username, password, security token; or user locked out.';
  await deliver(
    `From: ApexApplication <info@salesforce.com>\r\nTo: apex@acme.com\r\nSubject: Developer script exception from Acme : SyncJob : ${fault}\r\n` +
      `Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <apex-fault@test>\r\n\r\nApex script unhandled exception by user/organization: 0055g00000AbCdE\r\n\r\ncaused by: System.CalloutException: ${fault}\r\nUsername: integration@acme.com\r\n`,
  );
  const r = await ingest(['--after', 'delete']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    jsonLines(r.stdout).filter((x) => x.outcome !== 'ignored'),
    [],
  );
  assert.deepEqual((await flags()).get('<apex-fault@test>'), [], 'not deleted, not even marked read');
});

test('a destination that breaks under a running watcher is retried without another login: 1 login in all', async () => {
  const { sf, dest, watch, stored, flags, deliver } = await world('dest@acme.com');
  const w = watch();
  await w.log('watching');
  // The folder is replaced by a file: nothing can be written there until it comes back.
  await rm(dest, { recursive: true });
  await writeFile(dest, 'not a folder');
  await deliver(await readFile(fixturePath('01-plain-text.eml')));
  const failed = await w.record((r) => r.outcome === 'failed', 'the failed store');
  assert.match(String(failed.reason), /^store-unavailable:file:.*tokens\.json$/);
  await w.waitFor(() => (w.records.filter((r) => r.outcome === 'failed').length >= 3 ? true : undefined), 'retries on the heartbeat');
  assert.deepEqual(visibleFlags((await flags()).get(PLAIN)), [], 'not settled while the token is not safe');

  await rm(dest);
  await mkdir(dest);
  await w.record((r) => r.outcome === 'stored', 'the token, once the folder is back');
  assert.equal(await stored(), fp('01-plain-text.eml'));
  assert.equal(sf.attempts.length, 1, 'one login for one token, however many retries');
  assert.equal((await w.stop()).code, 0);
});

test('watch after a password fix gives the refused token its one more try: 2 logins in all; status tells both', async () => {
  const { sf, home, tokens, watch, stored, flags, deliver } = await world('rewatch@acme.com');
  await deliver(await readFile(fixturePath('01-plain-text.eml')));
  const typo = watch([], 'sf-Pa55-typo');
  const refused = await typo.record((r) => r.outcome === 'rejected', 'the refusal');
  assert.equal(refused.reason, 'login-rejected:INVALID_LOGIN');
  assert.equal((await typo.stop()).code, 0);
  assert.deepEqual(visibleFlags((await flags()).get(PLAIN)), [], 'left unread');

  const refusedStatus = jsonLines((await sftoken(['status', '--json', '--state', join(home, 'state.json')], isolatedEnv(home))).stdout);
  const before = refusedStatus.find((x) => x.kind === 'user' && x.username === 'plain@acme.com');
  assert.deepEqual([before?.fingerprint, (before?.lastRefusal as { reason?: string } | null)?.reason], [null, 'login-rejected:INVALID_LOGIN']);
  assert.match(String((before?.lastRefusal as { todo?: string }).todo), /fix the configured password/);

  const fixed = watch();
  await fixed.record((r) => r.outcome === 'stored', 'the token after the fix');
  assert.equal(await stored(), fp('01-plain-text.eml'));
  assert.equal(sf.attempts.length, 2);
  assert.equal((await fixed.stop()).code, 0);

  // status, from the state file alone: the token, where it went, the watcher's last contact.
  const status = await sftoken(['status', '--json', '--state', join(home, 'state.json')], isolatedEnv(home));
  assert.equal(status.code, 0, status.stderr);
  const items = jsonLines(status.stdout);
  const user = items.find((x) => x.kind === 'user' && x.username === 'plain@acme.com');
  assert.deepEqual([user?.fingerprint, user?.verified, user?.lastRefusal], [fp('01-plain-text.eml'), true, null]);
  assert.deepEqual(user?.destinations, [`file:${tokens}`]);
  const box = items.find((x) => x.kind === 'mailbox');
  assert.equal(box?.mailbox, 'INBOX');
  assert.ok(Date.now() - new Date(String(box?.lastContact)).getTime() < 60_000, 'a recent contact');
  const human = await sftoken(['status', '--state', join(home, 'state.json')], isolatedEnv(home));
  assert.match(human.stdout, /^USER\s+TOKEN\s+STORED\s+VERIFIED\s+WHERE\nplain@acme\.com\s+sha256:/);
  assert.deepEqual(leakedSecrets(status.stdout + human.stdout, [SF_PW, IMAP_PW]), []);
});

test('SIGTERM during a slow login lets the token finish its bookkeeping; the restart makes no second login', async () => {
  const { sf, watch, stored, deliver } = await world('slow@acme.com');
  sf.latencyMs = 2500;
  const w = watch();
  await w.log('watching');
  await deliver(await readFile(fixturePath('01-plain-text.eml')));
  await w.waitFor(() => (sf.attempts.length === 1 ? true : undefined), 'the login to be sent');
  const { code, ms } = await w.stop('SIGTERM');
  assert.equal(code, 0);
  assert.ok(ms < 9000, `stopped within the deadline (${ms} ms)`);
  assert.equal(await stored(), fp('01-plain-text.eml'), 'the login in hand finished and its token was stored');

  sf.latencyMs = 0;
  const again = watch();
  await again.log('heartbeat');
  assert.equal(sf.attempts.length, 1, 'no second login after the restart');
  assert.equal((await again.stop()).code, 0);
});

test('a refused IMAP login is not retried for at least a minute', async () => {
  const { watch } = await world('lockme@acme.com');
  const w = watch([], SF_PW, { SFTOKEN_IMAP_PASSWORD: 'wrong-imap-password' });
  const next = await w.log('reconnecting');
  // The wait the watcher scheduled is the proof: it sleeps exactly that long before the next login.
  assert.ok(Number(next.inMs) >= 60_000, `the next try waits ${String(next.inMs)} ms`);
  assert.equal(w.logs.filter((l) => l.msg === 'mailbox unavailable').length, 1, 'one refused login so far');
  assert.match(String(w.logs.find((l) => l.msg === 'mailbox unavailable')?.error), /IMAP login refused/);
  assert.equal((await w.stop()).code, 0);
  assert.deepEqual(leakedSecrets(w.stdout + w.stderr, ['wrong-imap-password', SF_PW]), []);
});
