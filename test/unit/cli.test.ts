import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli.js';
import type { Io } from '../../src/app/io.js';

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdin: new PassThrough(), stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {} };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

test('each command shows its own options: status does not offer --trust, replay does', async () => {
  const status = await run(['status', '--help']);
  assert.equal(status.code, 0);
  assert.match(status.stdout, /--state/);
  assert.doesNotMatch(status.stdout, /--trust/);
  const replay = await run(['replay', '--help']);
  assert.match(replay.stdout, /--trust\b.*\n?.*\[env: SFTOKEN_TRUST\]/);
  assert.match(replay.stdout, /Exit codes: 0/);
  assert.equal((await run(['status', '--trust', 'sender'])).code, 2, 'an option of another command is refused');
});

test('a mistyped option or command gets one line with the likely meaning', async () => {
  const option = await run(['replay', 'fixtures', '--stroe', 'file:/tmp/x.json']);
  assert.equal(option.code, 2);
  assert.equal(option.stderr, 'sftoken: Unknown argument: stroe; did you mean --store? (see sftoken replay --help)\n');
  const command = await run(['replya', 'fixtures']);
  assert.equal(command.code, 2);
  assert.match(command.stderr, /^sftoken: unknown command "replya": did you mean replay\? .*\n$/);
  const none = await run([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /name a command/);
});

test('deliver answers a bad command line with its own code, so that the mail server keeps the message', async () => {
  const r = await run(['deliver', '--bogus']);
  assert.notEqual(r.code, 2);
  assert.match(r.stderr, /Unknown argument: bogus/);
});

test('-v prints the version, -h the overview, and completion a shell script', async () => {
  assert.match((await run(['-v'])).stdout, /^\d+\.\d+\.\d+\n$/);
  const help = await run(['-h']);
  assert.equal(help.code, 0);
  for (const name of ['watch', 'ingest', 'replay', 'deliver', 'status', 'check', 'completion']) assert.match(help.stdout, new RegExp(`sftoken ${name}\\b`));
  const completion = await run(['completion']);
  assert.equal(completion.code, 0);
  assert.match(completion.stdout, /complete -o bashdefault -o default -F _sftoken_yargs_completions sftoken/);
});
