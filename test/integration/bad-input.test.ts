import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, jsonLines, sftoken, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const DRY = ['--dry-run', '--json', '--trust', 'sender'];

function assertOneCleanLine(r: CliResult, pattern: RegExp): void {
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0] ?? '', /^sftoken: /);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('a missing path is reported in one line, exit 2, and the rest of the batch still runs', async () => {
  const r = await sftoken(['replay', 'no/such.eml', 'fixtures/01-plain-text.eml', ...DRY, '--log-level', 'error'], isolatedEnv(await tempDir()));
  assert.equal(r.code, 2);
  assertOneCleanLine(r, /no\/such\.eml: no such file or directory/);
  assert.deepEqual(
    jsonLines(r.stdout).map((x) => x.outcome),
    ['would-store'],
  );
});

test('a directory without .eml files is reported, exit 2', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'empty'));
  const r = await sftoken(['replay', join(dir, 'empty'), ...DRY, '--log-level', 'error'], isolatedEnv(dir));
  assert.equal(r.code, 2);
  assertOneCleanLine(r, /no \.eml files/);
});

test('a 50 MiB file is rejected as too-large without being read, and does not stop the batch', async () => {
  const dir = await tempDir();
  const big = join(dir, 'big.eml');
  const handle = await open(big, 'w');
  await handle.truncate(50 * 1024 * 1024);
  await handle.close();
  const r = await sftoken(['replay', big, 'fixtures/01-plain-text.eml', ...DRY], isolatedEnv(dir));
  assert.equal(r.code, 3, 'a refused message: a person must look');
  const records = jsonLines(r.stdout);
  assert.deepEqual(
    records.find((x) => x.source === big),
    { outcome: 'rejected', reason: 'too-large', date: records.find((x) => x.source === big)?.date, source: big },
  );
  assert.ok(records.some((x) => x.outcome === 'would-store'));
});

test('configuration mistakes are one line and exit 2, before any message is touched', async () => {
  const dir = await tempDir();
  const badJson = join(dir, 'bad.json');
  await writeFile(badJson, '{"store": ');
  const typo = join(dir, 'typo.json');
  await writeFile(typo, '{"stroe": "file:/x"}');
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--config', badJson], {}, /config file .*bad\.json is not valid JSON/],
    [['--config', typo], {}, /unknown key "stroe"/],
    [[], { SFTOKEN_CONFIG: join(dir, 'missing.json') }, /cannot read config file .*ENOENT/],
    [['--store', 'vault:secret/sf'], {}, /unknown store "vault"/],
    [['--trust', 'vibes'], {}, /--trust: "vibes" is not one of dkim, auth-results, sender/],
    [['--bogus-flag'], {}, /Unknown argument/],
    [[], { SFTOKEN_VERIFY: 'maybe' }, /SFTOKEN_VERIFY: expected true or false/],
  ];
  for (const [args, env, pattern] of cases) {
    const r = await sftoken(['replay', 'fixtures/01-plain-text.eml', ...DRY, ...args], isolatedEnv(dir, env as Record<string, string>));
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assertOneCleanLine(r, pattern);
    assert.equal(r.stdout, '');
  }
});

test('a keychain store that cannot reach a Secret Service says so in one line, exit 2', async () => {
  const dir = await tempDir();
  const r = await sftoken(
    ['replay', 'fixtures/01-plain-text.eml', '--no-verify', '--trust', 'sender', '--store', 'keychain:sftoken-test'],
    isolatedEnv(dir, { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-bus')}` }),
  );
  assert.equal(r.code, 2);
  assertOneCleanLine(r, /keychain store is unavailable.*--store file:<path>/);
});

test('storing without a test login needs an explicit --no-verify', async () => {
  const dir = await tempDir();
  const r = await sftoken(['replay', 'fixtures/01-plain-text.eml', '--trust', 'sender', '--store', `file:${join(dir, 't.json')}`], isolatedEnv(dir));
  assert.equal(r.code, 2);
  assertOneCleanLine(r, /--no-verify/);
});
