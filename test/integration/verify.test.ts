import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, jsonLines, sftoken, type CliResult } from '../helpers/cli.js';
import { fixtureIndex } from '../helpers/fixtures.js';
import { leakedSecrets } from '../helpers/leaks.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';

const PASSWORD = 'Int3gration-Pa$$word&<x>';
const fp = (file: string) => fixtureIndex().find((f) => f.file === file)?.fingerprint as string;
const OTHER_TOKEN_FP = 'sha256:000000000000';

interface Setup {
  sf: SalesforceStandIn;
  home: string;
  tokens: string;
  run: (files: string[], extra?: string[], env?: Record<string, string>) => Promise<CliResult & { records: Array<Record<string, unknown>> }>;
}

async function setup(username: string, tokenFingerprint: string, passwordExpired = false): Promise<Setup> {
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username, password: PASSWORD, tokenFingerprint, passwordExpired });
  const home = await tempDir();
  const tokens = join(home, 'tokens.json');
  const all: string[] = [];
  const run: Setup['run'] = async (files, extra = [], env = {}) => {
    // Flags in `extra` replace the defaults here: yargs turns a repeated flag into a list.
    const defaults: Record<string, string> = {
      '--trust': 'sender',
      '--login-url': sf.url,
      '--store': `file:${tokens}`,
      '--state': join(home, 'state.json'),
      '--login-backoff': '0.05',
      '--log-level': 'debug',
    };
    for (let i = 0; i < extra.length; i++) if ((extra[i] as string) in defaults) delete defaults[extra[i] as string];
    const human = extra.includes('--human');
    const args = ['replay', ...files.map((f) => `fixtures/${f}`), ...(human ? [] : ['--json']), ...Object.entries(defaults).flat(), ...extra.filter((x) => x !== '--human')];
    const r = await sftoken(args, isolatedEnv(home, { SFTOKEN_SF_USERNAME: username, SFTOKEN_SF_PASSWORD: PASSWORD, ...env }));
    all.push(r.stdout, r.stderr);
    // In every scenario: neither the password nor any token reaches the output or the state.
    const state = existsSync(join(home, 'state.json')) ? await readFile(join(home, 'state.json'), 'utf8') : '';
    assert.deepEqual(leakedSecrets(r.stdout + r.stderr + state, [PASSWORD]), [], 'a secret leaked');
    return { ...r, records: human ? [] : jsonLines(r.stdout) };
  };
  return { sf, home, tokens, run };
}

async function storedToken(tokens: string, username: string): Promise<string | undefined> {
  if (!existsSync(tokens)) return undefined;
  return (JSON.parse(await readFile(tokens, 'utf8')) as Record<string, { fingerprint: string }>)[username]?.fingerprint;
}

test('a good token is stored after exactly one SOAP login, with the API version pinned', async () => {
  const { sf, tokens, run } = await setup('plain@acme.com', fp('01-plain-text.eml'));
  const r = await run(['01-plain-text.eml']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    r.records.map((x) => [x.outcome, x.verified]),
    [['stored', true]],
  );
  assert.deepEqual(
    sf.attempts.map((a) => [a.endpoint, a.apiVersion, a.outcome]),
    [['soap', '64.0', 'ok']],
  );
  assert.equal(await storedToken(tokens, 'plain@acme.com'), fp('01-plain-text.eml'));
});

test('a bad token is rejected after one login, never stored, and never tried again in a later run', async () => {
  const { sf, tokens, run } = await setup('plain@acme.com', OTHER_TOKEN_FP);
  const first = await run(['01-plain-text.eml']);
  assert.equal(first.code, 3, 'a refused token: a person must look');
  assert.deepEqual(
    first.records.map((x) => [x.outcome, x.reason]),
    [['rejected', 'login-rejected:INVALID_LOGIN']],
  );
  assert.equal(sf.attempts.length, 1);
  assert.equal(existsSync(tokens), false, 'the store is not touched');
  const second = await run(['01-plain-text.eml']);
  assert.deepEqual(
    second.records.map((x) => [x.outcome, x.reason]),
    [['rejected', 'already-rejected']],
  );
  assert.equal(sf.attempts.length, 1, 'no second login, ever');
});

test('while logins are cut off nothing is stored and the run exits 1; the backoff is carried across runs; a later run stores the token', async () => {
  const { sf, tokens, home, run } = await setup('plain@acme.com', fp('01-plain-text.eml'));
  // A reset after the request went out may have counted at Salesforce: such failures wait.
  sf.mode = 'reset';
  const r = await run(['01-plain-text.eml'], ['--login-retries', '1', '--login-backoff', '3']);
  assert.equal(r.code, 1);
  assert.deepEqual(
    r.records.map((x) => [x.outcome, x.reason]),
    [['failed', 'salesforce-unreachable:ECONNRESET']],
  );
  assert.equal(sf.attempts.length, 2, 'one try and one retry within the run');
  assert.equal(existsSync(tokens), false);

  const early = await run(['01-plain-text.eml']);
  assert.deepEqual(
    early.records.map((x) => x.reason),
    ['retry-backoff'],
    'the backoff is carried across runs',
  );
  assert.equal(sf.attempts.length, 2);

  sf.mode = 'normal';
  // Time passes: the pending retry's moment is moved into the past rather than waited for.
  const statePath = join(home, 'state.json');
  const state = JSON.parse(await readFile(statePath, 'utf8')) as { retries: Record<string, { nextAttemptAt: string }> };
  for (const retry of Object.values(state.retries)) retry.nextAttemptAt = new Date(Date.now() - 1000).toISOString();
  await writeFile(statePath, JSON.stringify(state));
  const later = await run(['01-plain-text.eml']);
  assert.equal(later.code, 0, later.stderr);
  assert.equal(later.records[0]?.outcome, 'stored');
  assert.equal(sf.attempts.length, 3);
  assert.equal(await storedToken(tokens, 'plain@acme.com'), fp('01-plain-text.eml'));
});

test('an answer slower than the timeout and a reset connection are transient failures', async () => {
  const { sf, tokens, run } = await setup('plain@acme.com', fp('01-plain-text.eml'));
  sf.mode = 'slow';
  sf.slowMs = 3000;
  const started = Date.now();
  const slow = await run(['01-plain-text.eml'], ['--login-timeout', '0.5', '--login-retries', '0']);
  assert.ok(Date.now() - started < 2900, 'the timeout ends the wait');
  assert.equal(slow.code, 1);
  assert.deepEqual(
    slow.records.map((x) => [x.outcome, x.reason]),
    [['failed', 'salesforce-unreachable:TIMEOUT']],
  );
  assert.equal(sf.attempts.length, 1);

  const reset = await setup('plain@acme.com', fp('01-plain-text.eml'));
  reset.sf.mode = 'reset';
  const r = await reset.run(['01-plain-text.eml'], ['--login-retries', '0']);
  assert.equal(r.code, 1);
  assert.deepEqual(
    r.records.map((x) => [x.outcome, x.reason]),
    [['failed', 'salesforce-unreachable:ECONNRESET']],
  );
  assert.equal(reset.sf.attempts.length, 1);
  assert.equal(existsSync(tokens) || existsSync(reset.tokens), false);
});

test('the lockout guard stops test logins for a user after the failed-login budget', async () => {
  const { sf, run } = await setup('multi@acme.com', OTHER_TOKEN_FP);
  const args = ['--max-failed-logins', '2'];
  const one = await run(['19-same-user-1.eml'], args);
  const two = await run(['19-same-user-2.eml'], args);
  const three = await run(['19-same-user-3.eml'], args);
  assert.deepEqual(
    [one, two].map((r) => r.records[0]?.reason),
    ['login-rejected:INVALID_LOGIN', 'login-rejected:INVALID_LOGIN'],
  );
  assert.deepEqual([three.records[0]?.outcome, three.records[0]?.reason], ['failed', 'lockout-guard']);
  assert.equal(three.code, 1, 'left for later, not dropped');
  assert.equal(sf.attempts.length, 2);
  assert.equal(sf.isLocked('multi@acme.com'), false);
});

test('of several token emails for one user only the newest is tried', async () => {
  const { sf, run } = await setup('multi@acme.com', fp('19-same-user-3.eml'));
  const r = await run(['19-same-user-1.eml', '19-same-user-2.eml', '19-same-user-3.eml']);
  assert.deepEqual(
    r.records.map((x) => x.outcome),
    ['superseded', 'superseded', 'stored'],
  );
  assert.equal(sf.attempts.length, 1);
});

test('with an OAuth client configured, the username-password flow is used instead of SOAP', async () => {
  const { sf, home, tokens, run } = await setup('plain@acme.com', fp('01-plain-text.eml'));
  const config = join(home, 'config.json');
  await writeFile(config, JSON.stringify({ accounts: [{ username: 'plain@acme.com', password: { env: 'SF_PW' }, clientId: sf.oauthClient.id, clientSecret: { env: 'SF_SECRET' } }] }));
  const r = await run(['01-plain-text.eml'], ['--config', config], { SFTOKEN_SF_USERNAME: '', SF_PW: PASSWORD, SF_SECRET: sf.oauthClient.secret });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.records[0]?.outcome, 'stored');
  assert.deepEqual(
    sf.attempts.map((a) => a.endpoint),
    ['oauth'],
  );
  assert.equal(await storedToken(tokens, 'plain@acme.com'), fp('01-plain-text.eml'));
  assert.deepEqual(leakedSecrets(r.stdout + r.stderr, [sf.oauthClient.secret]), []);
});

test('a login API that is not available is reported as such, with what to enable, and the token is not condemned', async () => {
  const { sf, tokens, run } = await setup('plain@acme.com', fp('01-plain-text.eml'));
  const retired = await run(['01-plain-text.eml'], ['--api-version', '65.0']);
  assert.deepEqual(
    retired.records.map((x) => [x.outcome, x.reason]),
    [['failed', 'login-path-off:soap-version']],
  );
  assert.equal(retired.code, 3, 'a person must act');
  sf.mode = 'api-disabled';
  const disabled = await run(['01-plain-text.eml']);
  assert.deepEqual(
    disabled.records.map((x) => x.reason),
    ['verification-unavailable:API_DISABLED_FOR_ORG'],
  );
  const human = await run(['01-plain-text.eml'], ['--human']);
  assert.match(human.stdout, /API Enabled permission/);
  assert.equal(existsSync(tokens), false);
  assert.equal(sf.attempts.length, 3, 'not remembered as a bad token');
});

test('an expired password is rejected with a message that says to change it', async () => {
  const { sf, tokens, run } = await setup('plain@acme.com', fp('01-plain-text.eml'), true);
  const r = await run(['01-plain-text.eml'], ['--human']);
  assert.match(r.stdout, /^rejected .*password-expired:PASSWORD_EXPIRED.*change it in Salesforce/m);
  assert.equal(sf.attempts.length, 1);
  assert.equal(existsSync(tokens), false);
});

test('with accounts configured, a token for another user is ignored without a login', async () => {
  const { sf, run } = await setup('someone-else@acme.com', OTHER_TOKEN_FP);
  const r = await run(['01-plain-text.eml']);
  assert.deepEqual(
    r.records.map((x) => [x.outcome, x.reason]),
    [['ignored', 'unknown-user']],
  );
  assert.equal(sf.attempts.length, 0);
});

test('--no-verify stores without any login and says so; no account and no --no-verify is a usage error', async () => {
  const { sf, home, run } = await setup('plain@acme.com', OTHER_TOKEN_FP);
  const r = await run(['01-plain-text.eml'], ['--no-verify']);
  assert.deepEqual(
    r.records.map((x) => [x.outcome, x.verified]),
    [['stored', false]],
  );
  assert.match(r.stderr, /without a test login/);
  assert.equal(sf.attempts.length, 0);
  const none = await sftoken(['replay', 'fixtures/01-plain-text.eml', '--trust', 'sender', '--store', `file:${join(home, 'x.json')}`], isolatedEnv(home));
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^sftoken: no Salesforce account to test tokens with.*--no-verify\n$/);
});
