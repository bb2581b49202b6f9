import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprint } from '../../src/util/fingerprint.js';
import { isolatedEnv, jsonLines, sftoken } from '../helpers/cli.js';
import { fixtureIndex } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

type Tokens = Record<string, { token: string; fingerprint: string; emailDate: string; storedAt: string }>;

test('replay --no-verify into a file store writes each newest token once, and a re-run writes nothing', async () => {
  const home = await tempDir();
  const tokens = join(home, 'tokens.json');
  const state = join(home, 'state.json');
  const args = ['replay', 'fixtures', '--no-verify', '--json', '--trust', 'sender', '--store', `file:${tokens}`, '--state', state];
  const first = await sftoken(args, isolatedEnv(home));
  assert.equal(first.code, 3, 'the fixtures hold refused token emails');
  const expected = fixtureIndex().filter((f) => f.outcome === 'would-store');
  const stored = jsonLines(first.stdout).filter((r) => r.outcome === 'stored');
  assert.equal(stored.length, expected.length);

  const content = JSON.parse(await readFile(tokens, 'utf8')) as Tokens;
  assert.deepEqual(Object.keys(content).sort(), expected.map((f) => f.username).sort());
  for (const f of expected) {
    const entry = content[f.username as string];
    assert.equal(fingerprint(entry?.token ?? ''), f.fingerprint, f.file);
    assert.equal(entry?.fingerprint, f.fingerprint);
  }
  assert.equal((await stat(tokens)).mode & 0o777, 0o600);
  assert.equal((await stat(state)).mode & 0o777, 0o600);

  const before = await readFile(tokens, 'utf8');
  const second = await sftoken(args, isolatedEnv(home));
  assert.equal(second.code, 0, 'refusals already reported are not news: exit 0');
  const again = jsonLines(second.stdout);
  assert.equal(again.filter((r) => r.outcome === 'stored').length, 0);
  assert.equal(again.filter((r) => r.reason === 'already-applied').length, expected.length);
  assert.equal(await readFile(tokens, 'utf8'), before, 'a re-run changes nothing');

  const old = await sftoken(['replay', 'fixtures/19-same-user-1.eml', ...args.slice(2)], isolatedEnv(home));
  assert.deepEqual(
    jsonLines(old.stdout).map((r) => [r.outcome, r.reason]),
    [['superseded', 'older-than-applied']],
  );
});
