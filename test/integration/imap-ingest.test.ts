import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HANDLED_KEYWORD } from '../../src/sources/imap/search.js';
import { isolatedEnv, jsonLines, sftoken } from '../helpers/cli.js';
import { Dovecot } from '../helpers/dovecot.js';
import { fixtureIndex, fixturePath } from '../helpers/fixtures.js';
import { leakedSecrets } from '../helpers/leaks.js';
import { noise } from '../helpers/noise.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';
import { imapFlags, visibleFlags } from '../helpers/imap-flags.js';

const IMAP_PW = 'imap-Pa55word';
const SF_PW = 'sf-Pa55word';
const fp = (file: string) => fixtureIndex().find((f) => f.file === file)?.fingerprint as string;
// The last two are localized (Japanese subject, German with unknown labels): still found.
const TOKEN_FILES = ['19-same-user-1.eml', '19-same-user-2.eml', '19-same-user-3.eml', '01-plain-text.eml', '13-lookalike-domain.eml', '07-japanese.eml', '21-german-structural.eml'];

async function world(user: string) {
  const dovecot = await Dovecot.start({ [user]: IMAP_PW });
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: 'multi@acme.com', password: SF_PW, tokenFingerprint: fp('19-same-user-3.eml') });
  sf.addUser({ username: 'plain@acme.com', password: SF_PW, tokenFingerprint: fp('01-plain-text.eml') });
  const home = await tempDir();
  const config = join(home, 'config.json');
  await import('node:fs/promises').then((fs) => fs.writeFile(config, JSON.stringify({ accounts: ['multi@acme.com', 'plain@acme.com'].map((username) => ({ username, password: { env: 'SF_PW' } })) })));
  const tokens = await Promise.all(TOKEN_FILES.map((f) => readFile(fixturePath(f))));
  const ingest = (extra: string[] = [], env: Record<string, string> = {}) =>
    sftoken(
      [
        'ingest',
        '--since',
        '1d',
        '--json',
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
        ...extra,
      ],
      isolatedEnv(home, { SFTOKEN_IMAP_PASSWORD: IMAP_PW, SF_PW, ...env }),
    );
  return { dovecot, sf, home, tokens, ingest };
}

async function flagsByMessageId(dovecot: Dovecot, user: string, mailbox = 'INBOX'): Promise<Map<string, string[]>> {
  const c = await dovecot.client(user, IMAP_PW);
  const out = new Map<string, string[]>();
  try {
    const lock = await c.getMailboxLock(mailbox);
    try {
      if ((c.mailbox && c.mailbox.exists) || 0) {
        for await (const m of c.fetch('1:*', { envelope: true, flags: true })) out.set(m.envelope?.messageId ?? '', [...(m.flags ?? [])].sort());
      }
    } finally {
      lock.release();
    }
  } finally {
    await c.logout();
  }
  return out;
}

test('ingest over noise and token emails: newest wins, one login each, only candidates downloaded, settled, idempotent', async () => {
  const user = 'integration@acme.com';
  const { dovecot, sf, tokens, ingest } = await world(user);
  await dovecot.append(user, IMAP_PW, [...Array.from({ length: 60 }, (_, i) => noise(i)), ...tokens]);

  const r = await ingest();
  assert.equal(r.code, 3, 'a refused token email: a person must look');
  const records = jsonLines(r.stdout);
  const bySource = (uid: number) => records.find((x) => String(x.source).endsWith(`/${uid}`));
  assert.deepEqual(
    TOKEN_FILES.map((_, i) => [bySource(61 + i)?.outcome, bySource(61 + i)?.reason]),
    [
      ['superseded', 'newer-token'],
      ['superseded', 'newer-token'],
      ['stored', 'sender:salesforce.com'],
      ['stored', 'sender:salesforce.com'],
      ['rejected', 'untrusted-sender'],
      ['ignored', 'unknown-user'],
      ['ignored', 'unknown-user'],
    ],
  );
  assert.match(String(records[0]?.source), /^imap:INBOX\/\d+\/\d+$/);
  assert.equal(records.length, TOKEN_FILES.length, 'noise is never even parsed');
  assert.deepEqual(sf.attempts.map((a) => a.username).sort(), ['multi@acme.com', 'plain@acme.com']);

  const [session] = await dovecot.sessions(user).then((s) => s.slice(-1));
  // The lookalike-domain email is a stranger's: its headers alone are fetched, and refuse it.
  assert.equal(session?.bodyCount, TOKEN_FILES.length - 1, 'bodies fetched only for the candidates that may be from Salesforce');
  const mailboxBytes = Array.from({ length: 60 }, (_, i) => noise(i).length).reduce((a, b) => a + b, 0);
  assert.ok((session?.bodyBytes ?? Infinity) < mailboxBytes / 2, `body bytes ${session?.bodyBytes} vs mailbox ${mailboxBytes}`);

  const flags = await flagsByMessageId(dovecot, user);
  for (const id of ['<19-same-user-1@sfdc.example.net>', '<01-plain-text@sfdc.example.net>']) {
    assert.deepEqual(flags.get(id), [HANDLED_KEYWORD, '\\Seen'], id);
  }
  assert.deepEqual(visibleFlags(flags.get('<13-lookalike-domain@sfdc.example.net>')), [], 'a refused token email stays unread for a person to see');
  assert.deepEqual(flags.get('<noise-10@test>'), [], 'other mail is not touched');

  const again = await ingest();
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(
    jsonLines(again.stdout)
      .map((x) => [x.outcome, x.reason])
      .sort(),
    [
      ['ignored', 'unknown-user'],
      ['ignored', 'unknown-user'],
      ['rejected', 'already-rejected'],
    ],
    'settled messages are not looked at again; what stays is not reported as new',
  );
  const seenMode = await ingest(['--after', 'seen']);
  assert.deepEqual(
    jsonLines(seenMode.stdout).filter((x) => x.outcome === 'stored'),
    [],
    'no second store',
  );
  assert.equal(sf.attempts.length, 2, 'no second login');
  assert.deepEqual(leakedSecrets(r.stdout + r.stderr + again.stderr, [IMAP_PW, SF_PW]), []);
});

test('--after move:<folder> and --after delete settle safe token emails only', async () => {
  const user = 'mover@acme.com';
  const { dovecot, tokens, ingest } = await world(user);
  await dovecot.append(user, IMAP_PW, [noise(1), tokens[3] as Buffer]);
  const moved = await ingest(['--after', 'move:Processed']);
  assert.equal(moved.code, 0, moved.stderr);
  assert.deepEqual([...(await flagsByMessageId(dovecot, user)).keys()], ['<noise-1@test>']);
  assert.deepEqual([...(await flagsByMessageId(dovecot, user, 'Processed')).keys()], ['<01-plain-text@sfdc.example.net>']);

  await dovecot.append(user, IMAP_PW, [tokens[4] as Buffer]);
  const deleted = await ingest(['--after', 'delete']);
  assert.equal(deleted.code, 3);
  assert.deepEqual(
    jsonLines(deleted.stdout).map((x) => x.reason),
    ['untrusted-sender'],
  );
  const left = await flagsByMessageId(dovecot, user);
  assert.deepEqual([...left.keys()], ['<noise-1@test>', '<13-lookalike-domain@sfdc.example.net>'], 'an untrusted token email is never deleted');
  assert.deepEqual(visibleFlags(left.get('<13-lookalike-domain@sfdc.example.net>')), [], 'nor marked read');
});

test('a message over the size cap is rejected without being downloaded', async () => {
  const user = 'big@acme.com';
  const { dovecot, tokens, ingest } = await world(user);
  const big = (tokens[3] as Buffer).toString().replace('Thanks,', `${'x'.repeat(76)}\r\n`.repeat(2000) + 'Thanks,');
  await dovecot.append(user, IMAP_PW, [big]);
  const r = await ingest(['--max-message-bytes', '100000']);
  assert.deepEqual(
    jsonLines(r.stdout).map((x) => [x.outcome, x.reason]),
    [['rejected', 'too-large']],
  );
  const [session] = (await dovecot.sessions(user)).slice(-1);
  assert.equal(session?.bodyCount, 0);
});

test("a stranger's large mail under a token subject is refused from its headers: its body is never downloaded", async () => {
  const user = 'spam@acme.com';
  const { dovecot, ingest } = await world(user);
  const spam = (i: number) =>
    `From: "Salesforce" <alerts@lookalike.example>\r\nTo: ${user}\r\nSubject: Your new Salesforce security token\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\nMessage-ID: <spam-${i}@lookalike.example>\r\n\r\n` +
    'Username: plain@acme.com Security token: AAAAAAAAAAAAAAAAAAAAAAAA\r\n'.repeat(20_000);
  await dovecot.append(
    user,
    IMAP_PW,
    Array.from({ length: 5 }, (_, i) => spam(i)),
  );
  const r = await ingest();
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(
    jsonLines(r.stdout).map((x) => [x.outcome, x.reason, x.messageId]),
    Array.from({ length: 5 }, (_, i) => ['rejected', 'untrusted-sender', `<spam-${i}@lookalike.example>`]),
  );
  const [session] = (await dovecot.sessions(user)).slice(-1);
  assert.equal(session?.bodyCount, 0, 'no body fetched');
  assert.ok((session?.out ?? Infinity) < 50_000, `${session?.out} bytes sent by the server for 5 spam mails of 1.3 MB`);
});

test('a wrong IMAP password or a missing mailbox is one line and exit 2', async () => {
  const user = 'wrong@acme.com';
  const { ingest } = await world(user);
  const bad = await ingest([], { SFTOKEN_IMAP_PASSWORD: 'not-it' });
  assert.equal(bad.code, 2);
  // The one line of the error, after the warning --trust sender earns on a mailbox.
  assert.match(bad.stderr, /^sftoken: IMAP login refused for wrong@acme\.com at 127\.0\.0\.1: check the password or access token\n$/m);
  assert.equal(bad.stderr.split('\n').filter((l) => l.startsWith('sftoken: ')).length, 1);
  const missing = await ingest(['--mailbox', 'Nope']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /sftoken: mailbox "Nope" does not exist/);
  const plain = await sftoken(
    ['ingest', '--since', '1d', '--imap-host', 'imap.example.com', '--imap-user', user, '--imap-tls', 'false'],
    isolatedEnv(await tempDir(), { SFTOKEN_IMAP_PASSWORD: IMAP_PW }),
  );
  assert.equal(plain.code, 2);
  assert.match(plain.stderr, /refusing to send IMAP credentials unencrypted to imap\.example\.com/);
});

test('TLS against a plain port, a search that finds nothing and --trust sender on a mailbox each say so in one line', async () => {
  const user = 'lines@acme.com';
  const { ingest } = await world(user);
  const tls = await ingest(['--imap-tls', 'true']);
  assert.equal(tls.code, 2, tls.stderr);
  assert.match(tls.stderr, /^sftoken: IMAP server 127\.0\.0\.1:\d+ does not speak TLS on that port: use its TLS port \(usually 993\)/m);
  assert.doesNotMatch(tls.stderr, /SSL routines|wrong version number/i);
  const empty = await ingest();
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stderr, /^sftoken: mailbox .+: no token email since \d{4}-\d{2}-\d{2}T/m);
  assert.match(empty.stderr, /--trust sender: mail that arrives is trusted on its From line alone/);
});
