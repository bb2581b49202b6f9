import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, jsonLines, sftoken, startSftoken, type CliResult } from '../helpers/cli.js';
import { fixtureIndex } from '../helpers/fixtures.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';

// DESIGN §2a for saved mail: crashes, outages and two processes at once never lose a token, never
// corrupt a file, and never cost more than two logins per token.
const PASSWORD = 'Never-L0se-Pa55';
const fp = (file: string) => fixtureIndex().find((f) => f.file === file)?.fingerprint as string;
const USERS = [
  ['plain@acme.com', '01-plain-text.eml'],
  ['team-a@acme.com', '20-two-users-a.eml'],
  ['team-b@acme.com', '20-two-users-b.eml'],
] as const;

async function world() {
  const sf = await SalesforceStandIn.start();
  for (const [username, file] of USERS) sf.addUser({ username, password: PASSWORD, tokenFingerprint: fp(file) });
  const home = await tempDir();
  const config = join(home, 'config.json');
  await writeFile(config, JSON.stringify({ accounts: USERS.map(([username]) => ({ username, password: { env: 'SF_PW' } })) }));
  const paths = { tokens: join(home, 'tokens.json'), state: join(home, 'state.json') };
  const args = (files: readonly string[], extra: string[] = []) => [
    'replay',
    ...files.map((f) => `fixtures/${f}`),
    '--json',
    '--trust',
    'sender',
    '--config',
    config,
    '--login-url',
    sf.url,
    '--store',
    `file:${paths.tokens}`,
    '--state',
    paths.state,
    '--log-level',
    'warn',
    ...extra,
  ];
  const env = isolatedEnv(home, { SF_PW: PASSWORD });
  return { sf, home, paths, env, args, run: (files: readonly string[], extra: string[] = []) => sftoken(args(files, extra), env) };
}

async function storedFingerprints(tokens: string): Promise<Record<string, string>> {
  if (!existsSync(tokens)) return {};
  const content = JSON.parse(await readFile(tokens, 'utf8')) as Record<string, { fingerprint: string }>;
  return Object.fromEntries(Object.entries(content).map(([u, e]) => [u, e.fingerprint]));
}

const logins = (sf: SalesforceStandIn, username: string) => sf.attempts.filter((a) => a.username === username).length;

test('a 503 outage spends no failed-login budget: the token is stored on the first answer after it', async () => {
  const { sf, paths, run } = await world();
  sf.mode = 'unavailable';
  const budget = ['--login-retries', '1', '--login-backoff', '0.01', '--max-failed-logins', '3'];
  for (let i = 0; i < 3; i++) {
    const r = await run(['01-plain-text.eml'], budget);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(jsonLines(r.stdout)[0]?.reason, 'salesforce-unreachable:UNEXPECTED_RESPONSE');
  }
  const duringOutage = sf.attempts.length;
  assert.equal(duringOutage, 6, 'two tries per run, three runs: far past the budget of 3 had they counted');
  sf.mode = 'normal';
  const r = await run(['01-plain-text.eml'], budget);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(jsonLines(r.stdout)[0]?.outcome, 'stored');
  assert.equal(sf.attempts.length, duringOutage + 1, 'stored on the first answer, no lockout-guard wait');
  assert.equal((await storedFingerprints(paths.tokens))['plain@acme.com'], fp('01-plain-text.eml'));
});

test('two processes at once on one state file and one token file lose nothing: 20 rounds', async () => {
  let lost = 0;
  for (let round = 0; round < 20; round++) {
    const { paths, env, args } = await world();
    const [a, b] = await Promise.all([sftoken(args(['20-two-users-a.eml'], ['--no-verify']), env), sftoken(args(['20-two-users-b.eml'], ['--no-verify']), env)]);
    assert.deepEqual([a.code, b.code], [0, 0], a.stderr + b.stderr);
    const stored = await storedFingerprints(paths.tokens);
    const state = JSON.parse(await readFile(paths.state, 'utf8')) as { applied: Record<string, unknown> };
    for (const [username, file] of USERS.slice(1)) {
      if (stored[username] !== fp(file)) lost++;
      if (!state.applied[username]) lost++;
    }
  }
  assert.equal(lost, 0, 'tokens or ledger entries lost');
});

test('SIGKILL at random moments never loses or corrupts anything, and costs at most 2 logins a token: 30 rounds', async () => {
  const files = USERS.map(([, file]) => file);
  let worst = 0;
  for (let round = 0; round < 30; round++) {
    const { sf, paths, env, args, run } = await world();
    sf.latencyMs = 30;
    const { child, done } = startSftoken(args(files), env);
    setTimeout(() => child.kill('SIGKILL'), 100 + Math.random() * 500);
    await done;
    const after: CliResult = await run(files);
    assert.ok([0].includes(after.code ?? -1), `round ${round}: ${after.stderr}`);
    // Nothing corrupt: both files parse, and no temporary or lock file is left behind.
    const stored = await storedFingerprints(paths.tokens);
    JSON.parse(await readFile(paths.state, 'utf8'));
    assert.deepEqual(
      (await readdir(join(paths.tokens, '..'))).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock')),
      [],
    );
    for (const [username, file] of USERS) {
      assert.equal(stored[username], fp(file), `round ${round}: ${username}'s token`);
      worst = Math.max(worst, logins(sf, username));
    }
  }
  assert.ok(worst <= 2, `at most 2 logins per token, saw ${worst}`);
});

test('a crash loop that kills the run each time Salesforce refuses costs at most two logins in all', async () => {
  const { sf, env, args, run } = await world();
  sf.setToken('plain@acme.com', 'sha256:000000000000');
  for (let kill = 0; kill < 5; kill++) {
    const { child, done } = startSftoken(args(['01-plain-text.eml']), env);
    sf.onAnswered = (seen) => {
      if (seen.outcome === 'fault') child.kill('SIGKILL');
    };
    await done;
  }
  sf.onAnswered = null;
  const last = await run(['01-plain-text.eml']);
  assert.equal(jsonLines(last.stdout)[0]?.outcome, 'rejected');
  assert.ok(logins(sf, 'plain@acme.com') <= 2, `the refused token was sent ${logins(sf, 'plain@acme.com')} times`);
  assert.equal(sf.isLocked('plain@acme.com'), false);
});

test('a store path that is the state path is refused at start, and nothing is written', async () => {
  const { paths, env, args } = await world();
  const sameFile = args(['01-plain-text.eml']).map((a) => (a === `file:${paths.tokens}` ? `file:${paths.state}` : a));
  const r = await sftoken(sameFile, env);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^sftoken: --store file:.*state\.json writes the same file as --state: give each its own file\n$/);
  assert.equal(existsSync(paths.state), false);
});

test('a symlinked token file is written through to its target, and stays a link', async () => {
  const { home, paths, env, args } = await world();
  const real = join(home, 'shared', 'real-tokens.json');
  await mkdir(join(home, 'shared'));
  await writeFile(real, '{}');
  await symlink(real, paths.tokens);
  const r = await sftoken(args(['01-plain-text.eml'], ['--no-verify']), env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await storedFingerprints(real))['plain@acme.com'], fp('01-plain-text.eml'));
  assert.equal((await readdir(home)).includes('tokens.json'), true);
  assert.equal(await readFile(paths.tokens, 'utf8'), await readFile(real, 'utf8'), 'the link still points at the target');
});

test('a state file with a field of the wrong type is one line and exit 2, and is left as it is', async () => {
  const { paths, run } = await world();
  const bad = JSON.stringify({ version: 1, applied: {}, rejected: { 'sha256:b97bf19568ec': { username: 'plain@acme.com', reason: 42, at: 'x' } } });
  await writeFile(paths.state, bad);
  const r = await run(['01-plain-text.eml']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^sftoken: state file .*state\.json is not an sftoken state file \(rejected\.sha256:b97bf19568ec\.reason: expected a string\); move it aside to start afresh\n$/);
  assert.equal(await readFile(paths.state, 'utf8'), bad);
});
