import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, jsonLines, run } from '../helpers/cli.js';
import { fixtureIndex, fixturePath } from '../helpers/fixtures.js';
import { leakedSecrets } from '../helpers/leaks.js';
import { CLI } from '../helpers/paths.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';

// `sftoken deliver` as a mail server runs it: one message on stdin, sysexits for an answer. Run
// directly and under a real delivery agent (Debian's procmail, with a recipe that pipes to it).
const PASSWORD = 'Del1ver-Pa55';
const fp = (file: string) => fixtureIndex().find((f) => f.file === file)?.fingerprint as string;

async function world() {
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: 'plain@acme.com', password: PASSWORD, tokenFingerprint: fp('01-plain-text.eml') });
  const home = await tempDir();
  const tokens = join(home, 'tokens.json');
  // As on a mail server: the password in a file only the delivering user reads, named in the config.
  await writeFile(join(home, 'sf-password'), PASSWORD, { mode: 0o600 });
  await writeFile(join(home, 'config.json'), JSON.stringify({ accounts: [{ username: 'plain@acme.com', password: { file: join(home, 'sf-password') } }] }));
  const args = [
    'deliver',
    '--json',
    '--trust',
    'sender',
    '--config',
    join(home, 'config.json'),
    '--login-url',
    sf.url,
    '--store',
    `file:${tokens}`,
    '--state',
    join(home, 'state.json'),
    '--log-level',
    'warn',
  ];
  const env = isolatedEnv(home);
  const deliver = async (file: string, extra: string[] = []) => run(process.execPath, [CLI, ...args, ...extra], env, await readFile(fixturePath(file), 'latin1'));
  const stored = async () => (JSON.parse(await readFile(tokens, 'utf8')) as Record<string, { fingerprint: string }>)['plain@acme.com']?.fingerprint;
  return { sf, home, args, env, deliver, stored };
}

test('deliver stores a token from stdin with one login and exits 0', async () => {
  const { sf, deliver, stored } = await world();
  const r = await deliver('01-plain-text.eml');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    jsonLines(r.stdout).map((x) => [x.outcome, x.source]),
    [['stored', 'stdin']],
  );
  assert.equal(await stored(), fp('01-plain-text.eml'));
  assert.equal(sf.attempts.length, 1);
  assert.deepEqual(leakedSecrets(r.stdout + r.stderr, [PASSWORD]), []);
});

test('deliver answers the mail server: 0 for anything final, a refusal once it is held; 75 to retry, for a bad command line or a configuration error', async () => {
  const { sf, home, deliver } = await world();
  const refused = await deliver('13-lookalike-domain.eml');
  assert.equal(refused.code, 0, 'a refused token email must not bounce back');
  assert.equal(jsonLines(refused.stdout)[0]?.reason, 'untrusted-sender');
  assert.equal((await readdir(join(home, 'held', 'new'))).length, 1, 'it is kept in the held folder first');
  assert.deepEqual(await readdir(join(home, 'held', 'tmp')), [], 'and nothing is left half written');
  const notToken = await deliver('16-apex-exception.eml');
  assert.equal(notToken.code, 0);
  assert.equal((await readdir(join(home, 'held', 'new'))).length, 1, 'plainly not a token email: not held');
  const stranger = await deliver('02-multipart-alternative.eml');
  assert.equal(stranger.code, 0);
  assert.deepEqual(
    jsonLines(stranger.stdout).map((x) => [x.outcome, x.reason]),
    [['ignored', 'unknown-user']],
  );
  assert.equal((await readdir(join(home, 'held', 'new'))).length, 2, 'a token for a user not configured yet is held for when it is');
  sf.mode = 'unavailable';
  const down = await deliver('01-plain-text.eml', ['--login-retries', '0']);
  assert.equal(down.code, 75, 'EX_TEMPFAIL: the mail server keeps the message and tries again');
  const usage = await deliver('01-plain-text.eml', ['--bogus']);
  assert.equal(usage.code, 75, 'a typo in the recipe must not bounce the token email');
  const config = await deliver('01-plain-text.eml', ['--store', 'vault:x']);
  assert.equal(config.code, 75, 'the message waits in the queue while the configuration is fixed, rather than bouncing');
  assert.match(config.stderr, /^sftoken: unknown store "vault"/);
});

test('under procmail, a recipe that pipes to deliver stores the token; in an outage the message falls through to the mailbox, and is stored from there later', async () => {
  const { sf, home, args, env, stored } = await world();
  const rc = join(home, 'procmailrc');
  const maildir = join(home, 'Maildir');
  const quoted = [process.execPath, CLI, ...args].map((a) => `"${a}"`).join(' ');
  // The recipe a user puts in ~/.procmailrc: pipe to sftoken; should it fail, procmail carries
  // on and delivers to the mailbox as usual, so the token email is never lost.
  await writeFile(rc, `SHELL=/bin/sh\nLOGFILE=${join(home, 'procmail.log')}\nDEFAULT=${maildir}/\n:0 w\n| ${quoted} > ${join(home, 'deliver.out')}\n`);
  const message = await readFile(fixturePath('01-plain-text.eml'), 'latin1');
  const ok = await run('procmail', [rc], env, message);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(await stored(), fp('01-plain-text.eml'));
  assert.equal(jsonLines(await readFile(join(home, 'deliver.out'), 'utf8'))[0]?.outcome, 'stored');
  assert.equal(existsSync(join(maildir, 'new')), false, 'delivered to sftoken, not to the mailbox');

  // A reset while Salesforce is down: deliver answers 75 and procmail keeps the message.
  sf.mode = 'unavailable';
  sf.setToken('plain@acme.com', fp('19-same-user-3.eml'));
  const reset = (await readFile(fixturePath('19-same-user-3.eml'), 'latin1')).replaceAll('multi@acme.com', 'plain@acme.com').replace(/^Date: .*$/m, 'Date: Tue, 03 Nov 2026 10:00:00 +0000');
  const down = await run('procmail', [rc], env, reset);
  assert.equal(down.code, 0);
  assert.equal(jsonLines(await readFile(join(home, 'deliver.out'), 'utf8'))[0]?.outcome, 'failed');
  assert.match(await readFile(join(home, 'procmail.log'), 'utf8'), /Program failure \(75\)/);
  const kept = await readdir(join(maildir, 'new'));
  assert.equal(kept.length, 1, 'the token email is in the mailbox');

  sf.mode = 'normal';
  const later = await run(process.execPath, [CLI, 'replay', maildir, ...args.slice(1)], env);
  assert.equal(later.code, 0, later.stderr);
  assert.equal(await stored(), fp('19-same-user-3.eml'));
});

test('under procmail, a token email refused for a stale password is held, status lists it, and after the fix replay of the held folder stores it with one login', async () => {
  const { sf, home, args, env, stored } = await world();
  const rc = join(home, 'procmailrc');
  const maildir = join(home, 'Maildir');
  const held = join(home, 'held');
  // The password changed in Salesforce; the configuration still has the old one.
  sf.addUser({ username: 'plain@acme.com', password: 'the-new-Pa55', tokenFingerprint: fp('01-plain-text.eml') });
  const quoted = [process.execPath, CLI, ...args].map((a) => `"${a}"`).join(' ');
  await writeFile(rc, `SHELL=/bin/sh\nLOGFILE=${join(home, 'procmail.log')}\nDEFAULT=${maildir}/\n:0 w\n| ${quoted} > ${join(home, 'deliver.out')}\n`);
  const r = await run('procmail', [rc], env, await readFile(fixturePath('01-plain-text.eml'), 'latin1'));
  assert.equal(r.code, 0, r.stderr);
  const [record] = jsonLines(await readFile(join(home, 'deliver.out'), 'utf8'));
  assert.deepEqual([record?.outcome, record?.reason], ['rejected', 'login-rejected:INVALID_LOGIN']);
  assert.equal(existsSync(join(maildir, 'new')), false, 'procmail took exit 0 as delivered');
  const kept = await readdir(join(held, 'new'));
  assert.equal(kept.length, 1, 'but the token email is in the held folder, not gone');
  assert.equal(sf.attempts.length, 1);

  const status = await run(process.execPath, [CLI, 'status', '--state', join(home, 'state.json')], env);
  assert.match(status.stdout, new RegExp(`^HELD: 1 refused token email in ${held} \\(oldest [^)]+\\): login-rejected:INVALID_LOGIN ×1`, 'm'));

  // The admin fixes the password, then gives the held email its one more try.
  await writeFile(join(home, 'sf-password'), 'the-new-Pa55', { mode: 0o600 });
  const replay = await run(process.execPath, [CLI, 'replay', held, ...args.slice(1)], env);
  assert.equal(replay.code, 0, replay.stderr);
  assert.equal(jsonLines(replay.stdout)[0]?.outcome, 'stored');
  assert.equal(await stored(), fp('01-plain-text.eml'));
  assert.equal(sf.attempts.length, 2, 'one login for the refusal, one after the fix');
  assert.deepEqual(await readdir(join(held, 'new')), [], 'a held message that was stored leaves the folder');
  const after = await run(process.execPath, [CLI, 'status', '--state', join(home, 'state.json')], env);
  assert.doesNotMatch(after.stdout, /HELD/);
});

test('a token email over the size cap is held whole, and held messages past their month are pruned with a log line', async () => {
  const { home, deliver } = await world();
  const held = join(home, 'held');
  const { mkdir, stat, utimes } = await import('node:fs/promises');
  await mkdir(join(held, 'new'), { recursive: true });
  const old = join(held, 'new', '1000.P1R0.old');
  await writeFile(old, 'From: support@salesforce.com\r\n\r\nold\r\n');
  const monthsAgo = new Date(Date.now() - 40 * 86_400_000);
  await utimes(old, monthsAgo, monthsAgo);
  const original = await readFile(fixturePath('01-plain-text.eml'));
  const r = await deliver('01-plain-text.eml', ['--max-message-bytes', '500', '--log-level', 'info']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(jsonLines(r.stdout)[0]?.reason, 'too-large');
  const kept = await readdir(join(held, 'new'));
  assert.equal(kept.length, 1, `only the new one is left: ${kept.join(', ')}`);
  assert.equal((await stat(join(held, 'new', kept[0] ?? ''))).size, original.length, 'kept whole, not cut at the cap');
  assert.match(r.stderr, /held token email pruned/);
  assert.equal(existsSync(old), false);
});

test('a token email that cannot be held is 75: the mail server keeps it rather than losing it', async () => {
  const { sf, home, deliver } = await world();
  // Where the held folder should be there is a file: nothing can be kept there.
  const blocked = join(home, 'not-a-folder');
  await writeFile(blocked, 'x');
  const r = await deliver('13-lookalike-domain.eml', ['--held', blocked]);
  assert.equal(r.code, 75, r.stderr);
  assert.match(r.stderr, /^sftoken: cannot take the message: .*held folder .*not-a-folder/m);
  assert.equal(sf.attempts.length, 0);
});
