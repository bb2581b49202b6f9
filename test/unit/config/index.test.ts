import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveConfig } from '../../../src/config/index.js';
import { loadConfigFile } from '../../../src/config/file.js';
import { envName } from '../../../src/config/options.js';
import { UsageError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';

test('precedence is flag > env > file > default', async () => {
  const file = { store: 'file:/from/file.json', trust: 'auth-results', logLevel: 'debug' };
  const env = { SFTOKEN_STORE: 'file:/from/env.json', SFTOKEN_TRUST: 'sender', XDG_STATE_HOME: '/st' };
  const c = await resolveConfig({ flags: { store: 'file:/from/flag.json' }, env, file });
  assert.equal(c.destinations[0]?.spec, 'file:/from/flag.json');
  assert.equal(c.trust.mode, 'sender');
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.json, false);
  assert.equal(c.statePath, '/st/sftoken/state.json');
});

test('env names follow SFTOKEN_<OPTION_IN_UPPER_SNAKE>', async () => {
  assert.equal(envName('dry-run'), 'SFTOKEN_DRY_RUN');
  const c = await resolveConfig({ flags: {}, env: { SFTOKEN_DRY_RUN: 'yes', SFTOKEN_VERIFY: 'false' }, file: {} });
  assert.equal(c.dryRun, true);
  assert.equal(c.verify, false);
});

test('bad values are usage errors that name where they came from', async () => {
  await assert.rejects(resolveConfig({ flags: {}, env: { SFTOKEN_JSON: 'maybe' }, file: {} }), /SFTOKEN_JSON: expected true or false/);
  await assert.rejects(resolveConfig({ flags: {}, env: {}, file: { trust: 'vibes' }, filePath: 'c.json' }), /c.json: trust: "vibes" is not one of/);
  await assert.rejects(resolveConfig({ flags: { store: 'ftp:x' }, env: {}, file: {} }), /unknown store "ftp"/);
  await assert.rejects(resolveConfig({ flags: { maxMessageBytes: -1 }, env: {}, file: {} }), UsageError);
});

test('the config file must be a JSON object of known keys', async () => {
  const dir = await tempDir();
  const write = async (name: string, text: string) => {
    await writeFile(join(dir, name), text);
    return join(dir, name);
  };
  assert.deepEqual(loadConfigFile(await write('ok.json', '{"store": "file:/x"}')), { store: 'file:/x' });
  const bad = await write('bad.json', '{ nope');
  assert.throws(() => loadConfigFile(bad), /not valid JSON/);
  assert.throws(() => loadConfigFile(join(dir, 'missing.json')), /cannot read config file .*ENOENT/);
  await write('typo.json', '{"stor": "file:/x"}');
  assert.throws(() => loadConfigFile(join(dir, 'typo.json')), /unknown key "stor"/);
  await write('list.json', '[1]');
  assert.throws(() => loadConfigFile(join(dir, 'list.json')), /must hold a JSON object/);
});

test('an unknown config file key suggests the closest known one', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'c.json'), '{"stroe": "file:/x"}');
  assert.throws(() => loadConfigFile(join(dir, 'c.json')), /unknown key "stroe"; did you mean "store"\?/);
  await writeFile(join(dir, 'd.json'), '{"imapHots": "x"}');
  assert.throws(() => loadConfigFile(join(dir, 'd.json')), /did you mean "imapHost"\?/);
  await writeFile(join(dir, 'e.json'), '{"completelyElse": 1}');
  assert.throws(
    () => loadConfigFile(join(dir, 'e.json')),
    (e: unknown) => e instanceof Error && !e.message.includes('did you mean'),
  );
});

test('every problem in a configuration is reported at once, in one line', async () => {
  const err = await resolveConfig({ flags: { store: 'ftp:x', maxMessageBytes: -1 }, env: { SFTOKEN_JSON: 'maybe' }, file: { trust: 'vibes' }, filePath: 'c.json' }).catch((e: unknown) => e);
  assert.ok(err instanceof UsageError);
  assert.ok(!err.message.includes('\n'));
  for (const part of [/unknown store "ftp"/, /--max-message-bytes: expected a whole number/, /SFTOKEN_JSON: expected true or false/, /c\.json: trust: "vibes" is not one of/])
    assert.match(err.message, part);
});

test('a destination that holds one token is bound to one account', async () => {
  const env = { SF_PW: 'pw-123456', SFTOKEN_VERIFY: 'false' };
  const account = (username: string, stores?: string[]) => ({ username, password: { env: 'SF_PW' }, ...(stores ? { stores } : {}) });
  const dotenv = 'dotenv:/srv/etl/.env?var=SF_TOKEN';
  const two = { accounts: [account('a@acme.com'), account('b@acme.com')] };
  await assert.rejects(resolveConfig({ flags: { store: dotenv }, env, file: two }), /holds one token, but 2 accounts would write it \(a@acme\.com, b@acme\.com\): list it under one account's stores/);
  await assert.rejects(resolveConfig({ flags: { store: dotenv }, env, file: {} }), /holds one token: name the one account it is for/);
  const both = { accounts: [account('a@acme.com', [dotenv]), account('b@acme.com', [dotenv])] };
  await assert.rejects(resolveConfig({ flags: {}, env, file: both }), /holds one token, but both a@acme\.com and b@acme\.com list it/);
  const one = await resolveConfig({ flags: { store: dotenv }, env, file: { accounts: [account('a@acme.com')] } });
  assert.equal(one.destinations[0]?.spec, dotenv);
  const perUser = await resolveConfig({ flags: { store: 'file:/srv/tokens.json' }, env, file: two });
  assert.equal(perUser.accounts.length, 2, 'a file keyed by username takes any number of accounts');
});
