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
  assertOneCleanLine(r, /no \.eml or \.mbox files or Maildir messages/);
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

test('a typo inside a config file list names the file and the key it most likely meant', async () => {
  const home = await tempDir();
  const config = join(home, 'config.json');
  await writeFile(config, JSON.stringify({ accounts: [{ username: 'a@acme.com', pasword: { env: 'SF_PW' } }] }));
  const r = await sftoken(['replay', 'fixtures/01-plain-text.eml', '--config', config, '--trust', 'sender'], isolatedEnv(home, { SF_PW: 'x-Pa55-word' }));
  assert.equal(r.code, 2);
  assertOneCleanLine(r, new RegExp(`${config}: accounts\\[0\\]: unknown key "pasword"; did you mean "password"\\?`));
});

test('a JSON syntax error in the config file gives its line and column', async () => {
  const home = await tempDir();
  const config = join(home, 'config.json');
  await writeFile(config, '{\n  "trust": "sender",\n  "store": ["file:/tmp/x.json"],,\n}\n');
  const r = await sftoken(['status', '--config', config], isolatedEnv(home));
  assert.equal(r.code, 2);
  assertOneCleanLine(r, new RegExp(`config file ${config} is not valid JSON: .* line 3, column 3[0-9]`));
});

test('--since with a sign or in the future says what to write instead', async () => {
  const home = await tempDir();
  const ingest = (since: string) =>
    sftoken(['ingest', '--since', since, '--imap-host', '127.0.0.1', '--imap-user', 'x@acme.com', '--imap-tls', 'false'], isolatedEnv(home, { SFTOKEN_IMAP_PASSWORD: 'x' }));
  const signed = await ingest('-5d');
  assert.equal(signed.code, 2);
  assertOneCleanLine(signed, /--since "-5d": a span is counted back from now and takes no sign; write 5d/);
  const future = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  const ahead = await ingest(future);
  assert.equal(ahead.code, 2);
  assertOneCleanLine(ahead, new RegExp(`--since "${future}" is in the future`));
});

test('replay reads the mbox files in a directory, says a compressed file is compressed, and its help names mbox and Maildir', async () => {
  const dir = await tempDir();
  const { readFile } = await import('node:fs/promises');
  const text = (await readFile('fixtures/01-plain-text.eml', 'latin1')).replace(/\r\n/g, '\n');
  await writeFile(join(dir, 'saved.mbox'), `From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n${text.replace(/^(>*From )/gm, '>$1')}\n`);
  await writeFile(join(dir, 'old.eml.gz'), Buffer.from([0x1f, 0x8b, 8, 0]));
  const r = await sftoken(['replay', dir, ...DRY, '--log-level', 'error'], isolatedEnv(dir));
  assert.deepEqual(
    jsonLines(r.stdout).map((x) => [x.outcome, x.username]),
    [['would-store', 'plain@acme.com']],
  );
  assert.equal(r.code, 2, 'a file that could not be read is reported');
  assertOneCleanLine(r, /old\.eml\.gz: compressed; decompress it first/);
  const help = await sftoken(['replay', '--help'], isolatedEnv(dir));
  assert.match(help.stdout, /mbox/);
  assert.match(help.stdout, /Maildir/);
});
