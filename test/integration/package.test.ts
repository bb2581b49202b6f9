import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, jsonLines, run } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

// The package installs like one: the tarball `npm pack` makes installs with `npm install -g` and
// runs with neither dev dependencies nor a compiler (the bundle holds all runtime code but the
// optional keytar). Packed from the build this test run already made, so nothing is rebuilt
// under the other tests' feet.
test('npm pack makes a tarball that npm install -g installs, and the installed sftoken runs', async () => {
  const out = await tempDir();
  const env = { ...process.env, npm_config_loglevel: 'error', npm_config_audit: 'false', npm_config_fund: 'false' };
  const pack = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', out], env);
  assert.equal(pack.code, 0, pack.stderr);
  const [tarball] = (await readdir(out)).filter((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'a tarball');
  const prefix = join(out, 'global');
  const install = await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', join(out, tarball)], env);
  assert.equal(install.code, 0, install.stderr);
  const installed = join(prefix, 'bin', 'sftoken');
  const version = await run(installed, ['--version'], isolatedEnv(out));
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  const r = await run(installed, ['replay', fixturePath('01-plain-text.eml'), '--dry-run', '--json', '--trust', 'sender'], isolatedEnv(out));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(jsonLines(r.stdout)[0]?.outcome, 'would-store');
  const shipped = await readdir(join(prefix, 'lib', 'node_modules', 'sftoken'));
  assert.ok(!shipped.includes('src') && !shipped.includes('test'), `only the built command ships: ${shipped.join(', ')}`);
});
