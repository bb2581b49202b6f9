import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, sftoken } from '../helpers/cli.js';
import { leakedSecrets } from '../helpers/leaks.js';
import { tempDir } from '../helpers/tmp.js';

test('at the most verbose level, no token reaches stdout, stderr or the state file', async () => {
  const home = await tempDir();
  const tokens = join(home, 'tokens.json');
  const state = join(home, 'state.json');
  const codes: Array<number | null> = [];
  for (const format of [['--json'], []]) {
    const r = await sftoken(['replay', 'fixtures', '--no-verify', '--trust', 'sender', '--log-level', 'trace', '--store', `file:${tokens}`, '--state', state, ...format], isolatedEnv(home));
    codes.push(r.code);
    assert.ok(r.stderr.includes('level=') || r.stderr.includes('"level"'), 'logs were written');
    assert.deepEqual(leakedSecrets(r.stdout), [], 'stdout');
    assert.deepEqual(leakedSecrets(r.stderr), [], 'stderr');
  }
  assert.deepEqual(codes, [3, 0], 'refused fixtures exit 3 once, then are already reported');
  assert.deepEqual(leakedSecrets(await readFile(state, 'utf8')), [], 'state file');
  // The detector itself works: the token file is meant to hold the tokens, and it finds them.
  assert.ok(leakedSecrets(await readFile(tokens, 'utf8')).length >= 17);
});
