import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, lchown, readFile, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, jsonLines, sftoken } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

// A neighbour on the same machine, or an admin's umask, against the files sftoken writes: a link
// planted where a token file will be, a FIFO where the state is, a file left readable by all.
// Each is refused in one line (exit 2) or tightened, and nothing hangs.

const NOBODY = 65534;
const replayTo = (home: string, store: string, more: string[] = []) =>
  sftoken(
    ['replay', fixturePath('01-plain-text.eml'), '--trust', 'sender', '--no-verify', '--json', '--store', store, '--state', join(home, 'state.json'), ...more],
    isolatedEnv(home, { SFTOKEN_SF_USERNAME: 'plain@acme.com', SFTOKEN_SF_PASSWORD: 'not-used-Pa55' }),
  );

test('a link another user planted at a destination path is not followed: the file it points to is untouched', async () => {
  const home = await tempDir();
  const victim = join(home, 'victim.env');
  await writeFile(victim, 'ROOT_ONLY=1\n', { mode: 0o440 });
  for (const [name, store] of [
    ['tokens.json', (p: string) => `file:${p}`],
    ['.env', (p: string) => `dotenv:${p}?var=SF_TOKEN`],
  ] as const) {
    const link = join(home, name);
    await symlink(victim, link);
    await lchown(link, NOBODY, NOBODY);
    const r = await replayTo(home, store(link));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${name.replace('.', '\\.')} is a link made by another user \\(uid ${NOBODY}\\) to .*victim\\.env: refusing to follow it`));
    assert.equal(await readFile(victim, 'utf8'), 'ROOT_ONLY=1\n');
    assert.equal((await stat(victim)).mode & 0o777, 0o440);
  }
});

test('a FIFO at the state, lock or destination path is refused in one line, and nothing hangs', async () => {
  for (const where of ['state.json', 'state.json.lock', 'tokens.json'] as const) {
    const home = await tempDir();
    execFileSync('mkfifo', [join(home, where)]);
    const started = Date.now();
    const r = await replayTo(home, `file:${join(home, 'tokens.json')}`);
    assert.equal(r.code, 2, `${where}: ${r.stderr}`);
    assert.match(r.stderr, /is not a regular file/);
    assert.ok(Date.now() - started < 20_000, `${where}: answered in ${Date.now() - started} ms`);
  }
});

test('a token file left readable by others: check warns before, and the write leaves it 0600', async () => {
  const home = await tempDir();
  const tokens = join(home, 'tokens.json');
  await writeFile(tokens, '{}');
  await chmod(tokens, 0o644);
  const check = await sftoken(['check', '--trust', 'sender', '--no-verify', '--store', `file:${tokens}`, '--state', join(home, 'state.json')], isolatedEnv(home));
  assert.match(check.stdout, new RegExp(`^WARN +destination: token file ${tokens} is mode 0644, readable or writable beyond 0600: sftoken writes it 0600 from the next token on`, 'm'));
  const r = await replayTo(home, `file:${tokens}`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(jsonLines(r.stdout)[0]?.outcome, 'stored');
  assert.equal((await stat(tokens)).mode & 0o777, 0o600);
  const r640 = await replayTo(home, `file:${tokens}?mode=0666`);
  assert.equal(r640.code, 2);
  assert.match(r640.stderr, /mode 0666 must be 0600 or 0640/);
});

test('a state file far larger than sftoken ever writes is refused in one line, before it is read', async () => {
  const home = await tempDir();
  const state = join(home, 'state.json');
  await writeFile(state, '');
  await truncate(state, 64 * 1024 * 1024);
  const r = await replayTo(home, `file:${join(home, 'tokens.json')}`);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^sftoken: state file .*state\.json is 64 MiB, far more than sftoken ever writes/m);
});
