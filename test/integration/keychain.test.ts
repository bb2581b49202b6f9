import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint } from '../../src/fingerprint.js';
import { CLI } from '../helpers/paths.js';
import { fixtureIndex } from '../helpers/fixtures.js';
import { inKeyringSession } from '../helpers/keyring.js';
import { tempDir } from '../helpers/tmp.js';

const SERVICE = 'sftoken-test-service';

test('tokens stored in the keychain read back with secret-tool, one entry per user', async () => {
  const home = await tempDir();
  const expected = fixtureIndex().filter((f) => f.outcome === 'would-store');
  // secret-tool prints each token on its own line after a marker naming the user; the test only
  // ever compares fingerprints of what it reads.
  const lookups = expected.map((f) => `echo "== ${f.username}"; secret-tool lookup service ${SERVICE} account '${f.username}'; echo`).join('\n');
  const script = `"${process.execPath}" "${CLI}" replay fixtures --no-verify --json --trust sender --store keychain:${SERVICE} --log-level warn || exit $?\n${lookups}`;
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

test('a token for a user that is not there reads back as nothing', async () => {
  const r = await inKeyringSession(await tempDir(), `secret-tool lookup service ${SERVICE} account nobody@acme.com; echo "rc=$?"`);
  assert.match(r.stdout, /rc=1/);
});
