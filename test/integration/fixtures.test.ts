import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedEnv, jsonLines, sftoken } from '../helpers/cli.js';
import { fixtureIndex } from '../helpers/fixtures.js';
import { FIXTURES } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

test('replaying every fixture as one batch gives exactly what the index says, one record each', async () => {
  const home = await tempDir();
  const r = await sftoken(['replay', 'fixtures', '--dry-run', '--json', '--trust', 'sender'], isolatedEnv(home));
  assert.equal(r.code, 3, 'some fixtures are refused token emails: a person must look');
  const records = jsonLines(r.stdout);
  const index = fixtureIndex();
  assert.equal(records.length, index.length);
  for (const f of index) {
    const rec = records.find((x) => x.source === `fixtures/${f.file}`);
    assert.ok(rec, `no record for ${f.file}`);
    assert.equal(rec.outcome, f.outcome, `${f.file}: ${f.what}`);
    assert.equal(rec.reason, f.reason, `${f.file}: reason`);
    if (f.username) assert.equal(rec.username, f.username, `${f.file}: username`);
    if (f.fingerprint) assert.equal(rec.fingerprint, f.fingerprint, `${f.file}: fingerprint`);
    assert.deepEqual(
      Object.keys(rec).filter((k) => !['outcome', 'reason', 'username', 'fingerprint', 'messageId', 'date', 'source'].includes(k)),
      [],
    );
    // The date is the email's own Date header, read here independently, in ISO form.
    const header = /^Date: (.+)$/m.exec(readFileSync(join(FIXTURES, f.file), 'latin1'))?.[1];
    const written = header ? new Date(header) : null;
    if (written && !Number.isNaN(written.getTime())) assert.equal(rec.date, written.toISOString(), `${f.file}: date`);
  }
  assert.ok(records.find((x) => x.source === 'fixtures/18-no-date.eml')?.date, 'a message without Date is dated by its file');
  assert.equal(existsSync(join(home, 'state')), false, 'a dry run writes no state');
});

test('records are printed oldest first', async () => {
  const r = await sftoken(['replay', 'fixtures/19-same-user-3.eml', 'fixtures/19-same-user-1.eml', '--dry-run', '--json', '--trust', 'sender'], isolatedEnv(await tempDir()));
  assert.deepEqual(
    jsonLines(r.stdout).map((x) => x.source),
    ['fixtures/19-same-user-1.eml', 'fixtures/19-same-user-3.eml'],
  );
});

test('the human output is one line per message', async () => {
  const r = await sftoken(['replay', 'fixtures/01-plain-text.eml', 'fixtures/13-lookalike-domain.eml', '--dry-run', '--trust', 'sender'], isolatedEnv(await tempDir()));
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0] ?? '', /^would-store\s+fixtures\/01-plain-text\.eml\s+plain@acme\.com sha256:b97bf19568ec  \(sender:salesforce\.com: dry run/);
  assert.match(lines[1] ?? '', /^rejected\s+fixtures\/13-lookalike-domain\.eml .*\(untrusted-sender: not from Salesforce .*\)$/);
});

test("the README's quick-start output is what the command prints", async () => {
  const readme = readFileSync(join(FIXTURES, '..', 'README.md'), 'utf8');
  // The first code block after the quick-start command is its sample output; "..." stands for lines left out.
  const after = readme.slice(readme.indexOf('npx sftoken replay fixtures --dry-run --trust sender'));
  const rest = after.slice(after.indexOf('```') + 3);
  const block = /```\n([\s\S]*?)\n```/.exec(rest)?.[1] ?? '';
  const shown = block.split('\n').filter((l) => l.trim() !== '...');
  assert.ok(shown.length >= 3, 'the README shows sample output');
  const r = await sftoken(['replay', 'fixtures', '--dry-run', '--trust', 'sender'], isolatedEnv(await tempDir()));
  assert.equal(r.code, 3, 'as the README says: a refused sample makes exit code 3');
  const printed = r.stdout.split('\n');
  for (const line of shown) assert.ok(printed.includes(line), `the README shows a line the command does not print:\n${line}`);
});
