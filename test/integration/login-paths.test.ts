import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, jsonLines, run, type CliResult } from '../helpers/cli.js';
import { fixtureIndex, fixturePath } from '../helpers/fixtures.js';
import { leakedSecrets } from '../helpers/leaks.js';
import { CLI } from '../helpers/paths.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { receiver } from '../helpers/webhook.js';
import { fakeTimeEnv } from '../helpers/faketime.js';
import { tempDir } from '../helpers/tmp.js';

// The security token's login paths closing (DESIGN §5), as the stand-in answers for each user:
// each answer is its own outcome with advice, costs no failed-login budget, and keeps the email;
// status and check say which path each account uses and when it ends; notices come under a
// driven clock (faketime), each once.
const PASSWORD = 'Cl0sing-Pa55';
const USER = 'plain@acme.com';
const fp = fixtureIndex().find((f) => f.file === '01-plain-text.eml')?.fingerprint as string;

async function world(oauth = false) {
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: USER, password: PASSWORD, tokenFingerprint: fp });
  const home = await tempDir();
  const hook = await receiver();
  await writeFile(join(home, 'pw'), PASSWORD, { mode: 0o600 });
  const secretFile = join(home, 'client-secret');
  await writeFile(secretFile, sf.oauthClient.secret, { mode: 0o600 });
  const config = join(home, 'config.json');
  const client = oauth ? { clientId: sf.oauthClient.id, clientSecret: { file: secretFile } } : {};
  await writeFile(config, JSON.stringify({ accounts: [{ username: USER, password: { file: join(home, 'pw') }, ...client }] }));
  const common = ['--config', config, '--state', join(home, 'state.json'), '--held', join(home, 'held')];
  const login = ['--login-url', sf.url, '--trust', 'sender', '--store', `file:${join(home, 'tokens.json')}`, '--max-failed-logins', '1', '--notify', hook.url];
  const env = isolatedEnv(home);
  const outputs: string[] = [];
  /** The CLI, at `at` (faketime, the clock running from there) when given. */
  const cli = async (args: string[], at?: string, input?: string): Promise<CliResult> => {
    const argv = [CLI, ...args];
    const r = await run(process.execPath, argv, at ? { ...env, ...fakeTimeEnv(at) } : env, input);
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const replay = (extra: string[] = [], at?: string) => cli(['replay', 'fixtures/01-plain-text.eml', ...common, ...login, ...extra], at);
  const status = (at?: string) => cli(['status', ...common], at);
  const stored = async () =>
    existsSync(join(home, 'tokens.json')) ? (JSON.parse(await readFile(join(home, 'tokens.json'), 'utf8')) as Record<string, { fingerprint: string }>)[USER]?.fingerprint : undefined;
  const state = async () =>
    JSON.parse(await readFile(join(home, 'state.json'), 'utf8')) as { failedLogins: Record<string, string[]>; loginPaths: Record<string, { accepted: boolean | null; code?: string }> };
  const noLeak = async () => {
    const all = outputs.join('\n') + JSON.stringify(hook.received) + (existsSync(join(home, 'state.json')) ? await readFile(join(home, 'state.json'), 'utf8') : '');
    assert.deepEqual(leakedSecrets(all, [PASSWORD, sf.oauthClient.secret]), []);
  };
  return { sf, home, hook, cli, common, login, replay, status, stored, state, noLeak };
}

test('each closed SOAP login() answer is its own outcome with its Setup advice, costs no budget, and the token goes through once the path is open', async () => {
  const w = await world();
  const cases: Array<[() => void, string[], string, RegExp]> = [
    [
      () => w.sf.addUser({ username: USER, password: PASSWORD, tokenFingerprint: fp, soapLogin: 'disabled' }),
      [],
      'login-path-off:soap-disabled',
      /in Setup, User Interface, select Enable SOAP API login\(\)/,
    ],
    [() => w.sf.addUser({ username: USER, password: PASSWORD, tokenFingerprint: fp, soapLogin: 'no-permission' }), [], 'login-path-off:soap-permission', /Use Any API Auth permission/],
    [() => w.sf.addUser({ username: USER, password: PASSWORD, tokenFingerprint: fp }), ['--api-version', '65.0'], 'login-path-off:soap-version', /set the account's apiVersion to 64\.0/],
  ];
  for (const [arrange, extra, reason, advice] of cases) {
    arrange();
    const r = await w.replay(['--json', ...extra]);
    assert.equal(r.code, 3, `${reason}: a person must act\n${r.stderr}`);
    assert.deepEqual(
      jsonLines(r.stdout).map((x) => [x.outcome, x.reason]),
      [['failed', reason]],
    );
    const human = await w.replay(['--log-level', 'error', ...extra]);
    assert.match(human.stdout, advice);
    assert.match(human.stdout, /SOAP login\(\) ends everywhere on 2027-06-01: move this integration to JWT bearer or client credentials/);
  }
  // Six answers that the path is closed, under a budget of one failed login an hour: none counted.
  assert.deepEqual((await w.state()).failedLogins[USER] ?? [], []);
  assert.equal(await w.stored(), undefined, 'nothing stored, nothing condemned');
  w.sf.addUser({ username: USER, password: PASSWORD, tokenFingerprint: fp });
  const open = await w.replay(['--json']);
  assert.equal(open.code, 0, open.stderr);
  assert.equal(jsonLines(open.stdout)[0]?.outcome, 'stored');
  assert.equal(await w.stored(), fp);
  assert.equal(w.sf.attempts.length, 7, 'six answers while closed, then one login');
  await w.noLeak();
});

test('the OAuth flow blocked answers like a wrong password: its own reason, advice naming Login History, counted, never retried on its own', async () => {
  const w = await world(true);
  w.sf.addUser({ username: USER, password: PASSWORD, tokenFingerprint: fp, oauthFlow: 'blocked' });
  const r = await w.replay(['--json']);
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(
    jsonLines(r.stdout).map((x) => [x.outcome, x.reason]),
    [['rejected', 'oauth-refused:invalid_grant']],
  );
  assert.deepEqual(w.sf.loginHistory, [{ username: USER, status: 'Username-Password Flow Disabled' }], 'only Login History names the cause');
  assert.equal((await w.state()).failedLogins[USER]?.length, 1, 'it may be a wrong password: counted');
  const status = await w.status();
  assert.match(status.stdout, /oauth-refused:invalid_grant\): Salesforce answers a blocked username-password flow and a wrong password alike: open the user's Login History/);
  assert.match(status.stdout, /Allow OAuth Username-Password Flows \(Connected Apps lose this flow on 2027-02-20\)/);
  const again = await w.replay(['--json']);
  assert.deepEqual(
    jsonLines(again.stdout).map((x) => x.reason),
    ['already-rejected'],
  );
  assert.equal(w.sf.attempts.length, 1, 'remembered: no second failed login');
  await w.noLeak();
});

test('deliver holds a token email whose login path is closed, and replay of the held folder stores it once the path is open', async () => {
  const w = await world();
  w.sf.addUser({ username: USER, password: PASSWORD, tokenFingerprint: fp, soapLogin: 'disabled' });
  const message = await readFile(fixturePath('01-plain-text.eml'), 'latin1');
  const r = await w.cli(['deliver', ...w.common, ...w.login, '--json'], undefined, message);
  assert.equal(r.code, 0, `held, so the mail server must not bounce it\n${r.stderr}`);
  assert.equal(jsonLines(r.stdout)[0]?.reason, 'login-path-off:soap-disabled');
  assert.equal((await readdir(join(w.home, 'held', 'new'))).length, 1);
  const status = await w.status();
  assert.match(status.stdout, /HELD: 1 refused token email .*login-path-off:soap-disabled ×1/);
  w.sf.addUser({ username: USER, password: PASSWORD, tokenFingerprint: fp });
  const replayed = await w.cli(['replay', join(w.home, 'held'), ...w.common, ...w.login, '--json']);
  assert.equal(replayed.code, 0, replayed.stderr);
  assert.equal(await w.stored(), fp);
  assert.deepEqual((await w.state()).failedLogins[USER] ?? [], []);
  await w.noLeak();
});

test("status and check --login show each account's path, Salesforce's last answer about it, and the days left, under a driven clock", async () => {
  const w = await world();
  await w.replay([], '2027-04-05 12:00:00');
  const status = await w.status('2027-04-05 12:00:00');
  assert.match(status.stdout, /^ACCOUNT +LOGIN PATH +LAST LOGIN +PATH ENDS +DAYS LEFT$/m);
  assert.match(status.stdout, /^plain@acme\.com +SOAP login\(\) at API 64\.0 +accepted 2027-04-05 +2027-06-01 +57$/m);
  assert.match(status.stdout, /^plain@acme\.com: SOAP login\(\) at API 64\.0: ends on 2027-06-01, in 57 days: move the integration to JWT bearer or client credentials before then$/m);
  const json = jsonLines((await w.cli(['status', ...w.common, '--json'], '2027-04-05 12:00:00')).stdout).find((x) => x.kind === 'account');
  assert.deepEqual([json?.username, json?.path, json?.endsOn, json?.daysLeft, (json?.lastLogin as { accepted: boolean }).accepted], [USER, 'SOAP login() at API 64.0', '2027-06-01', 57, true]);
  w.sf.addUser({ username: USER, password: PASSWORD, tokenFingerprint: fp, soapLogin: 'disabled' });
  const check = await w.cli(
    ['check', '--login', '--config', w.common[1] as string, '--state', join(w.home, 'state.json'), '--login-url', w.sf.url, '--trust', 'sender', '--store', `file:${join(w.home, 'tokens.json')}`],
    '2027-04-05 12:00:00',
  );
  assert.match(check.stdout, /^FAIL {2}login path plain@acme\.com: SOAP login\(\) at API 64\.0; Salesforce said it is closed \(INVALID_OPERATION\) at this login; .*ends on 2027-06-01, in 57 days/m);
  // A date Salesforce moves is one line in the config file.
  const config = JSON.parse(await readFile(w.common[1] as string, 'utf8')) as Record<string, unknown>;
  await writeFile(w.common[1] as string, JSON.stringify({ ...config, loginPathEnds: { 'soap-login': '2027-09-01' } }));
  assert.match((await w.status('2027-04-05 12:00:00')).stdout, /^plain@acme\.com +SOAP login\(\) at API 64\.0 +path closed 2027-04-05 \(INVALID_OPERATION\) +2027-09-01 +149$/m);
  await writeFile(w.common[1] as string, JSON.stringify({ ...config, loginPathEnds: { 'soap-logon': '2027-09-01' } }));
  const typo = await w.status();
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /loginPathEnds: unknown key "soap-logon"; did you mean "soap-login"\?/);
  await w.noLeak();
});

test('notices 60, 30, 7 and 1 days before a path ends reach the webhook once each, remembered across runs', async () => {
  const w = await world();
  const notices = () => w.hook.received.filter((r) => r.body.kind === 'notice').map((r) => r.body.headline);
  const days = [
    ['2027-03-01 09:00:00', 'ends in 92 days'],
    ['2027-04-05 09:00:00', 'ends in 57 days (2027-06-01)'],
    ['2027-04-06 09:00:00', null],
    ['2027-05-10 09:00:00', 'ends in 22 days (2027-06-01)'],
    ['2027-05-26 09:00:00', 'ends in 6 days (2027-06-01)'],
    ['2027-05-31 09:00:00', 'ends in 1 day (2027-06-01)'],
    ['2027-05-31 18:00:00', null],
  ] as const;
  let expected: string[] = [];
  for (const [at, told] of days) {
    const r = await w.replay(['--json'], at);
    assert.ok(r.code === 0, r.stderr);
    if (told && !told.endsWith('92 days')) expected = [...expected, `${USER} logs in with SOAP login() at API 64.0, which ${told}`];
    assert.deepEqual(notices(), expected, `at ${at}`);
    if (told && !told.endsWith('92 days')) assert.match(r.stderr, /login path ends soon/);
  }
  const last = w.hook.received.find((r) => r.body.kind === 'notice')?.body;
  assert.equal(last?.note, 'ends on 2027-06-01, in 57 days: move the integration to JWT bearer or client credentials before then');
  await w.noLeak();
});
