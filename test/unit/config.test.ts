import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfigFile, resolveConfig, envName } from '../../src/config.js';
import { UsageError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/tmp.js';

test('precedence is flag > env > file > default', () => {
  const file = { store: 'file:/from/file.json', trust: 'auth-results', logLevel: 'debug' };
  const env = { SFTOKEN_STORE: 'file:/from/env.json', SFTOKEN_TRUST: 'sender', XDG_STATE_HOME: '/st' };
  const c = resolveConfig({ flags: { store: 'file:/from/flag.json' }, env, file });
  assert.equal(c.store, 'file:/from/flag.json');
  assert.equal(c.trust, 'sender');
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.json, false);
  assert.equal(c.state, '/st/sftoken/state.json');
});

test('env names follow SFTOKEN_<OPTION_IN_UPPER_SNAKE>', () => {
  assert.equal(envName('dry-run'), 'SFTOKEN_DRY_RUN');
  const c = resolveConfig({ flags: {}, env: { SFTOKEN_DRY_RUN: 'yes', SFTOKEN_VERIFY: 'false' }, file: {} });
  assert.equal(c.dryRun, true);
  assert.equal(c.verify, false);
});

test('bad values are usage errors that name where they came from', () => {
  assert.throws(() => resolveConfig({ flags: {}, env: { SFTOKEN_JSON: 'maybe' }, file: {} }), /SFTOKEN_JSON: expected true or false/);
  assert.throws(() => resolveConfig({ flags: {}, env: {}, file: { trust: 'vibes' }, filePath: 'c.json' }), /c.json: trust: "vibes" is not one of/);
  assert.throws(() => resolveConfig({ flags: { store: 'ftp:x' }, env: {}, file: {} }), /unknown store "ftp"/);
  assert.throws(() => resolveConfig({ flags: { maxMessageBytes: -1 }, env: {}, file: {} }), UsageError);
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

