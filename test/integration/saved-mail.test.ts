import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, jsonLines, sftoken } from '../helpers/cli.js';
import { fixtureIndex, fixturePath } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

// Saved mail is rarely a folder of .eml files: mbox exports (Thunderbird, Google Takeout, mail on
// a server) and Maildir folders replay too, as one batch with the .eml files given beside them.
const fp = (file: string) => fixtureIndex().find((f) => f.file === file)?.fingerprint as string;

/** An mboxrd file as a mail client writes one: a From_ line per message, >From escaped. */
async function mbox(path: string, files: readonly string[], bodyLine = ''): Promise<void> {
  const parts = await Promise.all(
    files.map(async (f) => {
      const text = (await readFile(fixturePath(f), 'latin1')).replace(/\r\n/g, '\n').replace('\n\n', `\n\n${bodyLine}`);
      return `From MAILER-DAEMON Mon Nov  2 09:00:00 2026\n${text.replace(/^(>*From )/gm, '>$1')}\n`;
    }),
  );
  await writeFile(path, parts.join(''), 'latin1');
}

test('an mbox yields each of its messages, named <file>#<n>, with From lines unescaped', async () => {
  const dir = await tempDir();
  const box = join(dir, 'Inbox');
  await mbox(box, ['01-plain-text.eml', '16-apex-exception.eml', '20-two-users-a.eml'], 'From the desk of the admin: a line an mbox must escape.\n');
  const r = await sftoken(['replay', box, '--dry-run', '--json', '--trust', 'sender'], isolatedEnv(dir));
  assert.equal(r.code, 0, r.stderr);
  const records = jsonLines(r.stdout);
  assert.deepEqual(records.map((x) => [x.source, x.outcome, x.fingerprint ?? null]).sort(), [
    [`${box}#1`, 'would-store', fp('01-plain-text.eml')],
    [`${box}#2`, 'ignored', null],
    [`${box}#3`, 'would-store', fp('20-two-users-a.eml')],
  ]);
});

test('a Maildir folder replays its cur/ and new/ messages, whatever their names', async () => {
  const dir = await tempDir();
  const maildir = join(dir, 'Maildir');
  for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(maildir, sub), { recursive: true });
  await writeFile(join(maildir, 'cur', '1700000000.M1P2.host:2,S'), await readFile(fixturePath('20-two-users-a.eml')));
  await writeFile(join(maildir, 'new', '1700000001.M2P3.host'), await readFile(fixturePath('20-two-users-b.eml')));
  await writeFile(join(maildir, 'tmp', '1700000002.M3P4.host'), await readFile(fixturePath('01-plain-text.eml')));
  const r = await sftoken(['replay', maildir, '--dry-run', '--json', '--trust', 'sender'], isolatedEnv(dir));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    jsonLines(r.stdout)
      .map((x) => x.username)
      .sort(),
    ['team-a@acme.com', 'team-b@acme.com'],
    'tmp/ holds mail still being written: not read',
  );
});

test('mbox, Maildir and .eml files are one batch: the newest token per user wins across them', async () => {
  const dir = await tempDir();
  await mbox(join(dir, 'old.mbox'), ['19-same-user-1.eml', '19-same-user-2.eml']);
  await mkdir(join(dir, 'Maildir', 'cur'), { recursive: true });
  await writeFile(join(dir, 'Maildir', 'cur', 'x:2,S'), await readFile(fixturePath('19-same-user-3.eml')));
  const r = await sftoken(['replay', join(dir, 'old.mbox'), join(dir, 'Maildir'), '--dry-run', '--json', '--trust', 'sender'], isolatedEnv(dir));
  const records = jsonLines(r.stdout);
  assert.deepEqual(
    records.map((x) => [x.outcome, x.fingerprint]),
    [
      ['superseded', fp('19-same-user-1.eml')],
      ['superseded', fp('19-same-user-2.eml')],
      ['would-store', fp('19-same-user-3.eml')],
    ],
  );
});

test('a FIFO is refused in one line without being read', async () => {
  const dir = await tempDir();
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [join(dir, 'pipe')]);
  const r = await sftoken(['replay', join(dir, 'pipe'), '--dry-run', '--trust', 'sender'], isolatedEnv(dir));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /pipe: not a regular file/);
});
