import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint } from '../../src/util/fingerprint.js';
import { CLI } from '../helpers/paths.js';
import { fixtureIndex } from '../helpers/fixtures.js';
import { inKeyringSession } from '../helpers/keyring.js';
import { tempDir } from '../helpers/tmp.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SERVICE = 'sftoken-test-service';

test('tokens stored in the keychain read back with secret-tool, one entry per user', async () => {
  const home = await tempDir();
  const expected = fixtureIndex().filter((f) => f.outcome === 'would-store');
  // secret-tool prints each token on its own line after a marker naming the user; the test only
  // ever compares fingerprints of what it reads.
  const lookups = expected.map((f) => `echo "== ${f.username}"; secret-tool lookup service ${SERVICE} account '${f.username}'; echo`).join('\n');
  const script = `"${process.execPath}" "${CLI}" replay fixtures --no-verify --json --trust sender --store keychain:${SERVICE} --log-level warn; code=$?; [ $code -eq 3 ] || exit 9\n${lookups}`;
  const r = await inKeyringSession(home, script);
  assert.equal(r.code, 0, r.stderr);
  const found = new Map<string, string>();
  const lines = r.stdout.split('\n');
  lines.forEach((line, i) => {
    if (line.startsWith('== ')) found.set(line.slice(3), fingerprint(lines[i + 1] ?? ''));
  });
  for (const f of expected) assert.equal(found.get(f.username as string), f.fingerprint, `${f.file} (${f.username})`);
  const records = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { outcome: string });
  assert.equal(records.filter((x) => x.outcome === 'stored').length, expected.length);
});

test('a token is stored under its own user only: a lookup for another user finds nothing', async () => {
  const plain = fixtureIndex().find((f) => f.file === '01-plain-text.eml');
  const script =
    `"${process.execPath}" "${CLI}" replay fixtures/01-plain-text.eml --no-verify --trust sender --store keychain:${SERVICE} --log-level warn || exit 9\n` +
    `secret-tool lookup service ${SERVICE} account nobody@acme.com; echo "other rc=$?"\n` +
    `echo "== own"; secret-tool lookup service ${SERVICE} account '${plain?.username ?? ''}'; echo`;
  const r = await inKeyringSession(await tempDir(), script);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^other rc=1$/m);
  const own = r.stdout.split('== own\n')[1]?.split('\n')[0] ?? '';
  assert.equal(fingerprint(own), plain?.fingerprint);
});

test('an account password can come from the keychain: {"keychain": {service, account}}', async () => {
  const home = await tempDir();
  const password = 'Pw-from-the-keyring';
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: 'plain@acme.com', password, tokenFingerprint: fixtureIndex().find((f) => f.file === '01-plain-text.eml')?.fingerprint as string });
  const config = join(home, 'config.json');
  await writeFile(config, JSON.stringify({ accounts: [{ username: 'plain@acme.com', password: { keychain: { service: 'acme-salesforce', account: 'integration-password' } } }] }));
  // secret-tool reads the secret from stdin, so it never stands in a process's arguments; keytar
  // finds only entries of libsecret's generic schema, hence the xdg:schema attribute.
  const script =
    `printf %s "$SF_PASSWORD" | secret-tool store --label=sf xdg:schema org.freedesktop.Secret.Generic service acme-salesforce account integration-password || exit 98\n` +
    `unset SF_PASSWORD\n` +
    `"${process.execPath}" "${CLI}" replay fixtures/01-plain-text.eml --json --trust sender --config "${config}" --login-url ${sf.url} --store file:${join(home, 't.json')} --state ${join(home, 's.json')}`;
  const r = await inKeyringSession(home, script, { SF_PASSWORD: password });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { outcome: string }).outcome),
    ['stored'],
  );
  assert.equal(sf.attempts.length, 1);
  assert.doesNotMatch(r.stdout + r.stderr, new RegExp(password));
});
