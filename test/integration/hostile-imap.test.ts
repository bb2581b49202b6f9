import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv } from '../helpers/cli.js';
import { fixtureIndex, fixturePath } from '../helpers/fixtures.js';
import { HostileImap, type HostileScript } from '../helpers/hostile-imap.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';
import { Watcher } from '../helpers/watcher.js';
import { imapFlags } from '../helpers/imap-flags.js';

// The watcher against a server that misbehaves on purpose: every command has a deadline that
// keep-alives do not extend, nothing the server says about sizes is believed, the backoff only
// resets after a whole sweep, and /healthz tells the truth throughout.

const SF_PW = 'sf-hostile-Pa55';

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
}

async function against(script: HostileScript, more: string[] = []) {
  const server = await HostileImap.start(script);
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: 'plain@acme.com', password: SF_PW, tokenFingerprint: fixtureIndex().find((f) => f.file === '01-plain-text.eml')?.fingerprint as string });
  const home = await tempDir();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const w = Watcher.start(
    [
      '--trust',
      'sender',
      ...imapFlags(server.port, 'x@acme.com'),
      '--imap-timeout',
      '2',
      '--heartbeat',
      '1',
      '--health-port',
      String(port),
      '--login-url',
      sf.url,
      '--store',
      `file:${join(home, 'tokens.json')}`,
      '--state',
      join(home, 'state.json'),
      ...more,
    ],
    isolatedEnv(home, { SFTOKEN_IMAP_PASSWORD: 'imap-pw', SFTOKEN_SF_USERNAME: 'plain@acme.com', SFTOKEN_SF_PASSWORD: SF_PW }),
  );
  const healthz = async (): Promise<number> => (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) })).status;
  return { server, sf, w, healthz };
}

const token = async () => ({ source: await readFile(fixturePath('01-plain-text.eml')) });
const reconnects = (w: Watcher) => w.logs.filter((l) => l.msg === 'reconnecting');

for (const command of ['select', 'search'] as const) {
  test(`a ${command.toUpperCase()} that never completes, kept alive by the server, is dropped at its deadline`, async () => {
    const { server, w, healthz } = await against({ messages: [await token()], [command]: 'keep-alive-forever' });
    const deadline = new RegExp(`IMAP ${command === 'select' ? 'SELECT' : 'SEARCH'} got no answer within 2 s`);
    await w.waitFor(() => w.logs.find((l) => l.level === 'error' && deadline.test(String(l.error))), 'the deadline error', 15_000);
    await w.waitFor(() => (reconnects(w).length >= 2 ? true : undefined), 'a second reconnect', 20_000);
    assert.equal(await healthz(), 503, 'no sweep has gone through');
    assert.ok(server.connections >= 2);
    assert.equal((await w.stop()).code, 0);
  });
}

test('a server that drops every FETCH: the backoff grows, /healthz says 503, the token is stored once it behaves', async () => {
  const { server, sf, w, healthz } = await against({ messages: [await token()], fetchSource: 'drop-halfway' });
  // Three reconnects, each after a SELECT that went through: a reset after each SELECT would make
  // every wait the first one (0.5-1 s); the backoff must double instead (base 1 s, 50-100 % jitter).
  const three = await w.waitFor(() => (reconnects(w).length >= 3 ? reconnects(w).slice(0, 3) : undefined), 'three reconnects', 20_000);
  assert.deepEqual(
    three.map((l) => l.attempt),
    [1, 2, 3],
    'the attempt count was never reset',
  );
  three.forEach((l, n) => assert.ok(Number(l.inMs) >= 500 * 2 ** n, `reconnect ${n + 1} waits ${String(l.inMs)} ms`));
  assert.equal(await healthz(), 503);
  assert.equal(sf.attempts.length, 0);
  delete server.script.fetchSource;
  await w.record((r) => r.outcome === 'stored', 'the token, once the server behaves', 30_000);
  assert.equal(sf.attempts.length, 1);
  assert.equal((await w.stop()).code, 0);
});

test('a literal far larger than the size the server reported is cut off at the cap and refused, and memory stays flat', async () => {
  const liar = { source: Buffer.from('x'), reportedSize: 1000, subject: 'Your new Salesforce security token' };
  const { server, sf, w, healthz } = await against({ messages: [liar], fetchSource: 'huge-literal', hugeLiteralBytes: 400_000_000 });
  let peak = 0;
  const sampler = setInterval(() => w.child.pid && (peak = Math.max(peak, rssMiB(w.child.pid))), 100);
  try {
    const refused = await w.record((r) => r.outcome === 'rejected', 'the refusal', 20_000);
    assert.equal(refused.reason, 'too-large');
    assert.ok(server.bytesSent < 50_000_000, `the server got to send ${server.bytesSent} bytes`);
    // The refusal is remembered: later sweeps do not fetch it again.
    await w.waitFor(() => (w.logs.some((l) => l.msg === 'heartbeat') ? true : undefined), 'a heartbeat after the refusal', 20_000);
    const fetchesBefore = server.commands.filter((c) => c === 'UID FETCH').length;
    const beats = w.logs.filter((l) => l.msg === 'heartbeat').length;
    // Two more whole sweeps: each would have fetched the message again had the refusal been forgotten.
    await w.waitFor(() => (w.logs.filter((l) => l.msg === 'heartbeat').length >= beats + 2 ? true : undefined), 'two more heartbeats', 20_000);
    assert.equal(server.commands.filter((c) => c === 'UID FETCH').length, fetchesBefore, 'no new FETCH of the refused message');
    assert.equal(await healthz(), 200);
  } finally {
    clearInterval(sampler);
  }
  assert.ok(peak < 150, `peak RSS ${peak.toFixed(0)} MiB`);
  assert.equal(sf.attempts.length, 0);
  assert.equal((await w.stop()).code, 0);
});

test('a line that never ends is cut off at the line cap, again and again, with memory flat', async () => {
  const { server, w, healthz } = await against({ messages: [await token()], select: 'endless-line' });
  let peak = 0;
  const sampler = setInterval(() => w.child.pid && (peak = Math.max(peak, rssMiB(w.child.pid))), 100);
  try {
    await w.waitFor(() => (reconnects(w).length >= 2 ? true : undefined), 'two reconnects', 30_000);
  } finally {
    clearInterval(sampler);
  }
  assert.match(String(w.logs.find((l) => l.msg === 'mailbox unavailable')?.error), /Line length|exceeds|closed|Unexpected/i);
  assert.ok(peak < 200, `peak RSS ${peak.toFixed(0)} MiB`);
  assert.ok(server.connections >= 2);
  assert.equal(await healthz(), 503);
  assert.equal((await w.stop()).code, 0);
});

test('garbage instead of IMAP: one line, a reconnect with backoff, no crash', async () => {
  const { w } = await against({ messages: [await token()], select: 'garbage' });
  await w.waitFor(() => (reconnects(w).length >= 2 ? true : undefined), 'two reconnects', 20_000);
  assert.equal(w.child.exitCode, null, 'still running');
  assert.doesNotMatch(w.stderr, /^\s+at /m, 'no stack trace');
  assert.equal((await w.stop()).code, 0);
});

test('--replicas against a server without CONDSTORE: refused by name, never run unsafe', async () => {
  const { server, sf, w } = await against({ messages: [await token()] }, ['--replicas']);
  const error = await w.log('mailbox unavailable', 15_000);
  assert.match(String(error.error), /does not offer CONDSTORE, so replicas cannot claim messages safely/);
  assert.ok(!server.commands.includes('UID FETCH'), 'no message was read');
  assert.equal(sf.attempts.length, 0);
  assert.equal((await w.stop()).code, 0);
});
