import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedEnv, run, sftoken } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { CLI } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

// What a new admin meets on the first runs: a typo, a folder owned by someone else, a webhook
// the run would refuse. Each is one line and exit 2, and `check` finds it first.

const replayOne = ['replay', fixturePath('01-plain-text.eml'), '--trust', 'sender', '--no-verify'];

/** The CLI as an unprivileged user: root is never refused a folder, so it cannot show this. */
function asNobody(args: readonly string[], env: NodeJS.ProcessEnv) {
  return run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args], env);
}

test('a --state in a folder that does not exist is refused in one line; nothing is created', async () => {
  const home = await tempDir();
  const typo = join(home, 'sftokn', 'state.json');
  const r = await sftoken([...replayOne, '--store', `file:${join(home, 'tokens.json')}`, '--state', typo], isolatedEnv(home));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^sftoken: --state .*sftokn\/state\.json: the folder .*sftokn does not exist \(a typo\?\); create it, or leave --state out/m);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.equal(existsSync(join(home, 'sftokn')), false);
});

test('the default state folder is made on first use, and the run says so once', async () => {
  const home = await tempDir();
  const env = isolatedEnv(home);
  const first = await sftoken([...replayOne, '--store', `file:${join(home, 'tokens.json')}`], env);
  assert.equal(first.code, 0, first.stderr);
  const folder = join(String(env.XDG_STATE_HOME), 'sftoken');
  assert.ok(existsSync(join(folder, 'state.json')));
  assert.match(first.stderr, /created the state folder/);
  const second = await sftoken([...replayOne, '--store', `file:${join(home, 'tokens.json')}`], env);
  assert.doesNotMatch(second.stderr, /created the state folder/);
});

test('a state folder the user cannot write: check says FAIL naming it, and the run is one line and exit 2', async () => {
  const home = await tempDir();
  await chmod(home, 0o755);
  const locked = join(home, 'root-owned');
  await mkdir(locked, { mode: 0o755 });
  const out = join(home, 'out');
  await mkdir(out, { mode: 0o777 });
  await chmod(out, 0o777);
  const state = join(locked, 'state.json');
  const env = { ...isolatedEnv(out), HOME: out };
  const check = await asNobody(['check', '--trust', 'sender', '--no-verify', '--state', state, '--store', `file:${join(out, 'tokens.json')}`], env);
  assert.equal(check.code, 1, check.stdout + check.stderr);
  assert.match(check.stdout, new RegExp(`^FAIL +state: cannot use the state file ${state}: permission denied in ${locked}; run sftoken as the user that owns that folder`, 'm'));
  const r = await asNobody([...replayOne, '--state', state, '--store', `file:${join(out, 'tokens.json')}`], env);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`^sftoken: cannot use the state file ${state}: permission denied in ${locked}`, 'm'));
  assert.doesNotMatch(r.stderr, /internal error|\n {4}at /);
});

test('a webhook the run would refuse fails check and --dry-run too', async () => {
  const home = await tempDir();
  const notify = ['--notify', 'http://hooks.example.com/x'];
  const check = await sftoken(['check', '--trust', 'sender', '--no-verify', '--state', join(home, 'state.json'), '--store', `file:${join(home, 'tokens.json')}`, ...notify], isolatedEnv(home));
  assert.equal(check.code, 2);
  assert.match(check.stderr, /--notify hooks\.example\.com: must be https/);
  const dry = await sftoken([...replayOne, '--dry-run', '--state', join(home, 'state.json'), ...notify], isolatedEnv(home));
  assert.equal(dry.code, 2);
  assert.match(dry.stderr, /must be https/);
});
