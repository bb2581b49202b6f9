import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { fingerprint } from '../../src/util/fingerprint.js';
import { isolatedEnv, jsonLines, sftoken } from '../helpers/cli.js';
import { decryptWithOpenssl } from '../helpers/dataloader.js';
import { fakeTimeEnv, fastClockEnv } from '../helpers/faketime.js';
import { leakedSecrets } from '../helpers/leaks.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';
import { Watcher } from '../helpers/watcher.js';

// JWT bearer and client-credentials accounts: sftoken issues their access tokens with the real
// jsforce against the stand-in's token endpoint (which checks the JWT's RS256 signature against
// the app's certificate, and the client secret), and writes them where integrations read them;
// each destination is read back independently.
const JWT_USER = 'etl@acme.com';
const CC_USER = 'sync@acme.com';
const CC_SECRET = 'cc-Secret-0f-the-app';

async function world(sessionTimeout = 7200) {
  const sf = await SalesforceStandIn.start();
  const home = await tempDir();
  // The README's one command: a key and a certificate for the External Client App.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(home, 'etl.key'), '-out', join(home, 'etl.crt'), '-days', '20', '-subj', '/CN=sftoken-etl'], {
    stdio: 'ignore',
  });
  sf.apps.set('jwt-app', { grant: 'jwt', clientId: 'jwt-app', certificate: await readFile(join(home, 'etl.crt'), 'utf8'), preAuthorized: [JWT_USER] });
  sf.apps.set('cc-app', { grant: 'client-credentials', clientId: 'cc-app', clientSecret: CC_SECRET, runAs: CC_USER });
  await writeFile(join(home, 'cc-secret'), CC_SECRET, { mode: 0o600 });
  const key = randomBytes(16);
  await writeFile(join(home, 'dl.key'), key);
  await writeFile(join(home, 'config.properties'), `sfdc.username=${JWT_USER}\nsfdc.endpoint=https://login.salesforce.com\n`);
  await writeFile(join(home, 'etl.env'), 'OTHER=1\n');
  const hook = join(home, 'hook.sh');
  await writeFile(hook, `#!/bin/sh\n[ -e "${home}/hook-down" ] && { echo "vault: connection refused" >&2; exit 1; }\ncat > "${home}/hook.stdin"\nenv | grep ^SFTOKEN_ > "${home}/hook.env"\n`);
  await chmod(hook, 0o755);
  const config = join(home, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      accounts: [
        {
          username: JWT_USER,
          auth: 'jwt',
          clientId: 'jwt-app',
          privateKey: { file: join(home, 'etl.key') },
          certificate: join(home, 'etl.crt'),
          loginUrl: sf.url,
          sessionTimeout,
          stores: [
            `file:${join(home, 'tokens.json')}`,
            `dotenv:${join(home, 'etl.env')}?var=SF_ACCESS_TOKEN&instanceVar=SF_INSTANCE_URL`,
            `dataloader:${join(home, 'config.properties')}?key=${join(home, 'dl.key')}`,
            `exec:${hook}`,
          ],
        },
        {
          username: CC_USER,
          auth: 'client-credentials',
          clientId: 'cc-app',
          clientSecret: { file: join(home, 'cc-secret') },
          loginUrl: sf.url,
          sessionTimeout,
          stores: [`file:${join(home, 'sync.json')}`],
        },
      ],
    }),
  );
  const env = isolatedEnv(home);
  const outputs: string[] = [];
  const refresh = async (at?: Date, extra: string[] = [], json = true) => {
    // The token endpoint keeps the same time as the client: as Salesforce and a host with NTP do.
    const offset = at ? at.getTime() - Date.now() : 0;
    sf.now = () => Date.now() + offset;
    const clock = at ? fakeTimeEnv(at.toISOString().replace('T', ' ').slice(0, 19)) : {};
    const r = await sftoken(['refresh', ...(json ? ['--json'] : []), '--config', config, '--state', join(home, 'state.json'), ...extra], { ...env, ...clock });
    outputs.push(r.stdout, r.stderr);
    return { ...r, records: json ? jsonLines(r.stdout) : [] };
  };
  const fileToken = async (name: string, user: string) =>
    (JSON.parse(await readFile(join(home, name), 'utf8').catch(() => '{}')) as Record<string, { accessToken: string; instanceUrl: string; expiresAt: string }>)[user];
  const read = async () => {
    const dotenv = parseDotenv(await readFile(join(home, 'etl.env'), 'utf8'));
    const dl = await readFile(join(home, 'config.properties'), 'utf8');
    const encrypted = /^sfdc\.oauth\.accesstoken=([0-9a-f]+)$/m.exec(dl)?.[1] ?? '';
    return {
      file: fingerprint((await fileToken('tokens.json', JWT_USER))?.accessToken ?? ''),
      dotenv: fingerprint(dotenv.SF_ACCESS_TOKEN ?? ''),
      dotenvInstance: dotenv.SF_INSTANCE_URL,
      dataloader: fingerprint(decryptWithOpenssl(encrypted, key)),
      dataloaderInstance: /^salesforce\.oauth\.instanceURL=(.*)$/m.exec(dl)?.[1],
      exec: fingerprint((await readFile(join(home, 'hook.stdin'), 'utf8')).replace(/\n$/, '')),
      sync: fingerprint((await fileToken('sync.json', CC_USER))?.accessToken ?? ''),
    };
  };
  const noLeak = async () => {
    const state = await readFile(join(home, 'state.json'), 'utf8');
    // The issued tokens are secrets: the stand-in's fingerprints are all a test knows of them.
    const all = outputs.join('\n') + state;
    assert.deepEqual(leakedSecrets(all, [CC_SECRET, await readFile(join(home, 'etl.key'), 'utf8')]), []);
    assert.doesNotMatch(all, /00D5g000004XyZaEAK!AQ/, 'no access token in output or state');
  };
  return { sf, home, config, env, refresh, read, noLeak };
}

test('a JWT account and a client-credentials account: one request each, the access token in file, dotenv, Data Loader and exec, read back independently', async () => {
  const w = await world();
  const r = await w.refresh();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    r.records.map((x) => [x.outcome, x.reason, x.username]),
    [
      ['stored', 'issued:jwt', JWT_USER],
      ['stored', 'issued:client-credentials', CC_USER],
    ],
  );
  assert.deepEqual(
    w.sf.issuedTokens.map((t) => [t.username, t.grant]),
    [
      [JWT_USER, 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
      [CC_USER, 'client_credentials'],
    ],
    'one request per account',
  );
  const [jwtToken, ccToken] = w.sf.issuedTokens.map((t) => t.fingerprint);
  const got = await w.read();
  assert.deepEqual(got, { file: jwtToken, dotenv: jwtToken, dotenvInstance: w.sf.url, dataloader: jwtToken, dataloaderInstance: w.sf.url, exec: jwtToken, sync: ccToken });
  const hookEnv = await readFile(join(w.home, 'hook.env'), 'utf8');
  assert.match(hookEnv, /^SFTOKEN_KIND=access-token$/m);
  assert.match(hookEnv, new RegExp(`^SFTOKEN_INSTANCE_URL=${w.sf.url.replace(/[.]/g, '\\.')}$`, 'm'));
  assert.match(hookEnv, /^SFTOKEN_EXPIRES_AT=\d{4}-\d\d-\d\dT/m);
  assert.match(
    await readFile(join(w.home, 'config.properties'), 'utf8'),
    /^sfdc\.username=etl@acme\.com\n# sftoken: sfdc\.oauth\.accesstoken as of [\d\-T:.]+Z\nsfdc\.oauth\.accesstoken=[0-9a-f]+\nsalesforce\.oauth\.instanceURL=/m,
  );
  // Run again at once: nothing is due, no request.
  const again = await w.refresh();
  assert.equal(again.code, 0);
  assert.match(again.stderr, /no access token is due/);
  assert.equal(w.sf.issuedTokens.length, 2);
  await w.noLeak();
});

test('refresh comes at half the session timeout under a driven clock; an outage keeps the old token in every destination', async () => {
  const w = await world(7200);
  const start = new Date(Date.now() + 60_000);
  const at = (minutes: number) => new Date(start.getTime() + minutes * 60_000);
  await w.refresh(at(0));
  assert.equal((await w.refresh(at(59))).records.length, 0, 'not due before the hour');
  assert.equal(w.sf.issuedTokens.length, 2);
  const due = await w.refresh(at(61));
  assert.deepEqual(
    due.records.map((x) => x.outcome),
    ['stored', 'stored'],
  );
  assert.equal(w.sf.issuedTokens.length, 4, 'one request per account per refresh');
  const current = await w.read();
  assert.equal(current.file, w.sf.issuedTokens[2]?.fingerprint);
  w.sf.mode = 'unavailable';
  const down = await w.refresh(at(123));
  assert.equal(down.code, 1, 'retried later');
  assert.deepEqual(
    down.records.map((x) => x.reason),
    ['token-endpoint-unreachable:HTTP_503', 'token-endpoint-unreachable:HTTP_503'],
  );
  assert.deepEqual(await w.read(), current, 'every destination keeps the token it had');
  assert.equal((await w.refresh(at(123.5))).records.length, 0, 'never more than one request a minute');
  w.sf.mode = 'normal';
  const back = await w.refresh(at(126));
  assert.deepEqual(
    back.records.map((x) => x.outcome),
    ['stored', 'stored'],
  );
  await w.noLeak();
});

test('Salesforce refusing the grant is its own outcome with advice; a client-credentials account on login.salesforce.com is refused in one line', async () => {
  const w = await world();
  const app = w.sf.apps.get('jwt-app');
  if (app?.grant === 'jwt') app.preAuthorized = [];
  const r = await w.refresh(undefined, ['--account', JWT_USER], false);
  assert.equal(r.code, 3);
  assert.match(r.stdout, /^rejected +token-endpoint:etl@acme\.com +etl@acme\.com +\(grant-refused:not-approved: invalid_grant: the user is not pre-authorized for the app/m);
  const config = JSON.parse(await readFile(w.config, 'utf8')) as { accounts: Array<Record<string, unknown>> };
  (config.accounts[1] as Record<string, unknown>).loginUrl = 'https://login.salesforce.com';
  await writeFile(w.config, JSON.stringify(config));
  const bad = await sftoken(['refresh', '--config', w.config], w.env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^sftoken: .*accounts\[1\]\.loginUrl: the client-credentials flow needs your My Domain URL/);
});

test('watch keeps tokens fresh beside no mailbox at all; /healthz stays 200 through an outage until the token lapses, then 503', async () => {
  const w = await world(900);
  const port = 20000 + Math.floor(Math.random() * 20000);
  // A clock sixty times as fast: the refresh falls due in 7.5 s, the fifteen-minute session lapses in 15 s.
  const clock = fastClockEnv(60);
  const t0 = Date.now();
  w.sf.now = () => t0 + 60 * (Date.now() - t0);
  const watcher = Watcher.start(['--config', w.config, '--state', join(w.home, 'watch.json'), '--health-port', String(port), '--heartbeat', '1'], { ...w.env, ...clock });
  await watcher.record((r) => r.reason === 'issued:client-credentials', 'the first tokens');
  const health = async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
  assert.equal(await health(), 200, watcher.stderr.slice(-2000));
  w.sf.mode = 'unavailable';
  await watcher.record((r) => String(r.reason).startsWith('token-endpoint-unreachable'), 'a failed refresh', 30_000);
  const before = await w.read();
  assert.equal(before.file, w.sf.issuedTokens.find((t) => t.username === JWT_USER)?.fingerprint, 'the destinations keep the token they had');
  // Each failed refresh (one a fake minute) is a moment to look again, until the token has lapsed.
  for (let i = 0; i < 100 && (await health()) === 200; i++) await watcher.log('access token not renewed; the destinations keep the current one', 10_000, watcher.logs.length);
  assert.equal(await health(), 503, 'unhealthy once the token lapsed');
  const text = await (await fetch(`http://127.0.0.1:${port}/healthz`)).text();
  assert.match(text, /no live access token: etl@acme\.com, sync@acme\.com/);
  assert.equal((await watcher.stop()).code, 0);
});

test('status shows each access token by fingerprint and its times; check says each account can be issued, without issuing', async () => {
  const w = await world();
  await w.refresh();
  const status = await sftoken(['status', '--config', w.config, '--state', join(w.home, 'state.json')], w.env);
  assert.match(status.stdout, /^ACCESS TOKEN FOR +TOKEN +ISSUED +LAPSES +NEXT +FAILURES$/m);
  assert.match(status.stdout, new RegExp(`^etl@acme\\.com +${w.sf.issuedTokens[0]?.fingerprint ?? 'x'} +\\d{4}-`, 'm'));
  const check = await sftoken(['check', '--config', w.config, '--state', join(w.home, 'state.json')], w.env);
  assert.match(check.stdout, /^ok {4}access token etl@acme\.com: JWT bearer, client jwt-ap…; every destination can hold it; http:\/\/127\.0\.0\.1:\d+ answers/m);
  assert.match(check.stdout, /^ok {4}access token sync@acme\.com: client credentials/m);
  assert.equal(w.sf.issuedTokens.length, 2, 'check issued nothing');
  assert.doesNotMatch(status.stdout + check.stdout, /00D5g000004XyZaEAK!AQ/);
});

test('a destination that fails leaves the account failed, and the next request comes a minute later and reaches every destination', async () => {
  const w = await world();
  await writeFile(join(w.home, 'hook-down'), '');
  const start = new Date(Date.now() + 60_000);
  const at = (minutes: number) => new Date(start.getTime() + minutes * 60_000);
  const down = await w.refresh(at(0), ['--account', JWT_USER]);
  assert.equal(down.code, 1);
  assert.match(String(down.records[0]?.reason), /^store-unavailable:exec:/);
  assert.equal((await w.refresh(at(0.5), ['--account', JWT_USER])).records.length, 0, 'not again within the minute');
  await rm(join(w.home, 'hook-down'));
  const up = await w.refresh(at(1.5), ['--account', JWT_USER]);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(w.sf.issuedTokens.length, 2, 'one request a minute');
  const got = await w.read();
  assert.deepEqual([got.file, got.exec, got.dotenv, got.dataloader], Array(4).fill(w.sf.issuedTokens[1]?.fingerprint));
});
