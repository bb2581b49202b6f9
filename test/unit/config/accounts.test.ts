import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { credentialsFingerprint, loadAccounts, type Account } from '../../../src/config/accounts.js';
import { UsageError } from '../../../src/util/errors.js';
import { Redactor } from '../../../src/util/redact.js';

const env = { SFTOKEN_SF_USERNAME: 'Int@Acme.com', SFTOKEN_SF_PASSWORD: 'a-password' };
const defaults = (loginUrl: string) => ({ loginUrl, apiVersion: '64.0' });

test('a login URL must be https, or http to this machine only', async () => {
  const [https] = await loadAccounts(undefined, env, defaults('https://acme.my.salesforce.com/'), new Redactor());
  assert.deepEqual([https?.username, https?.loginUrl], ['int@acme.com', 'https://acme.my.salesforce.com']);
  for (const local of ['http://127.0.0.1:8080', 'http://localhost:1', 'http://[::1]:9']) {
    assert.equal((await loadAccounts(undefined, env, defaults(local), new Redactor()))[0]?.loginUrl, new URL(local).origin);
  }
  for (const bad of ['http://login.salesforce.com', 'ftp://login.salesforce.com', 'not a url']) {
    await assert.rejects(loadAccounts(undefined, env, defaults(bad), new Redactor()), UsageError, bad);
  }
});

test('a password written into the config file itself is refused', async () => {
  await assert.rejects(loadAccounts([{ username: 'a@acme.com', password: 'literal' }], {}, defaults('https://login.salesforce.com'), new Redactor()), /not the secret itself/);
});

test('a password can be a systemd credential: {"credential": name} reads $CREDENTIALS_DIRECTORY/name', async () => {
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'sftoken-cred-'));
  await writeFile(join(dir, 'sf-password'), 'from-a-credential\n');
  const [a] = await loadAccounts([{ username: 'a@acme.com', password: { credential: 'sf-password' } }], { CREDENTIALS_DIRECTORY: dir }, defaults('https://login.salesforce.com'), new Redactor());
  assert.equal(a?.password, 'from-a-credential');
  await assert.rejects(
    loadAccounts([{ username: 'a@acme.com', password: { credential: 'sf-password' } }], {}, defaults('https://login.salesforce.com'), new Redactor()),
    /needs systemd's LoadCredential=/,
  );
});

const account = (username: string, password: string): Account => ({ username, password, loginUrl: 'https://login.salesforce.com', apiVersion: '64.0', oauth: null, destinations: null });

test('one fingerprint for all credentials: it changes with any password, not with the order of the accounts', async () => {
  const team = Array.from({ length: 5 }, (_, i) => account(`u${i}@acme.com`, `pw-${i}`));
  const base = await credentialsFingerprint(team);
  assert.match(base, /^sha256:[0-9a-f]{12}$/);
  assert.equal(await credentialsFingerprint([...team].reverse()), base);
  assert.notEqual(await credentialsFingerprint(team.map((a, i) => (i === 3 ? { ...a, password: 'pw-3-fixed' } : a))), base);
  assert.notEqual(await credentialsFingerprint(team.slice(1)), base);
});

test('the credentials fingerprint of 200 accounts leaves the event loop free while it is worked out', async () => {
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  try {
    await credentialsFingerprint(Array.from({ length: 200 }, (_, i) => account(`u${i}@acme.com`, `pw-${i}`)));
  } finally {
    clearInterval(ticker);
  }
  assert.ok(ticks > 0, 'timers ran during the derivation');
});

test('jwt and client-credentials accounts: their own keys with did-you-mean, a My Domain URL for client credentials, refresh before the session lapses', async () => {
  const { loadIssuedAccounts } = await import('../../../src/config/issued-accounts.js');
  const { generateKeyPairSync } = await import('node:crypto');
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const env = { ETL_KEY: pem, CC_SECRET: 'x-secret' };
  const jwt = { username: 'ETL@acme.com', auth: 'jwt', clientId: '3MVG9app', privateKey: { env: 'ETL_KEY' }, loginUrl: 'https://login.salesforce.com' };
  const [a] = await loadIssuedAccounts([jwt, { username: 'pw@acme.com', password: { env: 'CC_SECRET' } }], env, new Redactor());
  assert.deepEqual([a?.username, a?.grant.kind, a?.sessionTimeoutMs, a?.refreshEveryMs], ['etl@acme.com', 'jwt', 7_200_000, 3_600_000]);
  await assert.rejects(loadIssuedAccounts([{ ...jwt, privateKy: 1 }], env, new Redactor()), /unknown key "privateKy"; did you mean "privateKey"\?/);
  await assert.rejects(loadIssuedAccounts([{ ...jwt, auth: 'jwt-bearer' }], env, new Redactor()), /auth: "jwt-bearer" is not one of password, jwt, client-credentials/);
  const cc = { username: 'sync@acme.com', auth: 'client-credentials', clientId: '3MVG9cc', clientSecret: { env: 'CC_SECRET' }, loginUrl: 'https://test.salesforce.com' };
  await assert.rejects(loadIssuedAccounts([cc], env, new Redactor()), /needs your My Domain URL \(https:\/\/<domain>\.my\.salesforce\.com\), not test\.salesforce\.com/);
  assert.equal((await loadIssuedAccounts([{ ...cc, loginUrl: 'https://acme.my.salesforce.com' }], env, new Redactor()))[0]?.grant.kind, 'client-credentials');
  await assert.rejects(loadIssuedAccounts([{ ...jwt, sessionTimeout: 600, refreshEvery: 600 }], env, new Redactor()), /refreshEvery must be shorter than sessionTimeout/);
});
