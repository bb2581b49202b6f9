import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Liveness, serveHealth } from '../../../src/app/health.js';

test('liveness is healthy only while every mailbox had a recent successful sweep', () => {
  const l = new Liveness(['ops', 'sandbox']);
  const t0 = new Date('2026-11-25T12:00:00Z');
  assert.equal(l.healthy(30_000, t0), false, 'no sweep yet: not healthy');
  l.swept('ops', t0);
  assert.equal(l.healthy(30_000, t0), false, 'one mailbox has not been swept');
  assert.deepEqual(l.stale(30_000, t0), ['sandbox']);
  l.swept('sandbox', t0);
  assert.equal(l.healthy(30_000, new Date(t0.getTime() + 30_000)), true);
  assert.equal(l.healthy(30_000, new Date(t0.getTime() + 30_001)), false);
  // Connected but not sweeping (a server that answers the login and hangs every SEARCH).
  l.connected('ops');
  l.swept('sandbox', new Date(t0.getTime() + 60_000));
  assert.deepEqual(l.stale(30_000, new Date(t0.getTime() + 60_000)), ['ops']);
  assert.equal(new Liveness([]).healthy(30_000), false, 'nothing watched is not healthy');
});

test('metrics count outcomes and reconnects per mailbox, and the last stored time per user', () => {
  const l = new Liveness(['ops', 'sandbox']);
  l.reconnecting('ops');
  l.reconnecting('ops');
  l.connected('sandbox');
  l.swept('sandbox', new Date(2_000_000));
  l.handled(
    'ops',
    [
      { outcome: 'stored', username: 'a@acme.com', source: 's' },
      { outcome: 'ignored', source: 't' },
    ],
    new Date(1_000_000),
  );
  l.handled('sandbox', [{ outcome: 'ignored', source: 'u' }], new Date(1_000_000));
  const m = l.metrics();
  assert.match(m, /^sftoken_messages_total\{mailbox="ops",outcome="stored"\} 1$/m);
  assert.match(m, /^sftoken_messages_total\{mailbox="ops",outcome="ignored"\} 1$/m);
  assert.match(m, /^sftoken_messages_total\{mailbox="sandbox",outcome="ignored"\} 1$/m);
  assert.match(m, /^sftoken_imap_reconnects_total\{mailbox="ops"\} 2$/m);
  assert.match(m, /^sftoken_imap_reconnects_total\{mailbox="sandbox"\} 0$/m);
  assert.match(m, /^sftoken_imap_connected\{mailbox="ops"\} 0$/m);
  assert.match(m, /^sftoken_imap_connected\{mailbox="sandbox"\} 1$/m);
  assert.match(m, /^sftoken_imap_last_success_timestamp_seconds\{mailbox="sandbox"\} 2000\.000$/m);
  assert.match(m, /^sftoken_imap_last_success_timestamp_seconds\{mailbox="ops"\} 0$/m);
  assert.match(m, /^sftoken_token_last_stored_timestamp_seconds\{username="a@acme.com"\} 1000\.000$/m);
  assert.match(m, /^sftoken_token_last_outcome\{username="a@acme.com",outcome="stored"\} 1$/m);
  const status = JSON.parse(JSON.stringify(l.status(30_000, new Date(2_000_000)))) as { mailboxes: Record<string, { healthy: boolean; reconnects: number; messages: Record<string, number> }> };
  assert.deepEqual(status.mailboxes.ops, { healthy: false, connected: false, lastSweep: null, reconnects: 2, messages: { stored: 1, ignored: 1 } });
  assert.equal(status.mailboxes.sandbox?.healthy, true);
});

test('a mailbox name is escaped in a metric label', () => {
  const l = new Liveness(['a "quoted" \\ name']);
  assert.match(l.metrics(), /^sftoken_imap_connected\{mailbox="a \\"quoted\\" \\\\ name"\} 0$/m);
});

test('a refused token after a stored one shows as the last outcome, and the stored time stays', () => {
  const l = new Liveness(['ops']);
  l.handled('ops', [{ outcome: 'stored', username: 'a@acme.com', source: 's' }], new Date(1_000_000));
  l.handled('ops', [{ outcome: 'rejected', reason: 'login-rejected:INVALID_LOGIN', username: 'a@acme.com', source: 't' }], new Date(2_000_000));
  const m = l.metrics();
  assert.match(m, /^sftoken_token_last_outcome\{username="a@acme.com",outcome="rejected"\} 1$/m);
  assert.match(m, /^sftoken_token_last_outcome\{username="a@acme.com",outcome="stored"\} 0$/m);
  assert.match(m, /^sftoken_token_last_stored_timestamp_seconds\{username="a@acme.com"\} 1000\.000$/m);
  const served: unknown = JSON.parse(JSON.stringify(l.status(1000)));
  assert.match(JSON.stringify(served), /"a@acme.com":\{[^}]*"reason":"login-rejected:INVALID_LOGIN"/);
});

test('/healthz answers 200 while sweeps are recent and 503, naming the mailbox, once they are not', async () => {
  const l = new Liveness(['ops']);
  const server = await serveHealth(l, '127.0.0.1', 0, 200);
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`; // a TCP server's address is an AddressInfo
    assert.equal((await fetch(`${url}/healthz`)).status, 503, 'before any sweep');
    l.swept('ops');
    const ok = await fetch(`${url}/healthz`);
    assert.deepEqual([ok.status, await ok.text()], [200, 'ok\n']);
    l.swept('ops', new Date(Date.now() - 1000));
    const stale = await fetch(`${url}/healthz`);
    assert.deepEqual([stale.status, await stale.text()], [503, 'no recent successful sweep: ops\n']);
    assert.equal((await fetch(`${url}/metrics`)).status, 200);
    assert.equal(((await (await fetch(`${url}/status`)).json()) as { healthy: boolean }).healthy, false);
    assert.equal((await fetch(`${url}/nope`)).status, 404);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('/healthz answers anyone; /status and /metrics need the bearer token when one is set', async () => {
  const l = new Liveness(['INBOX']);
  const server = await serveHealth(l, '127.0.0.1', 0, 60_000, 'the-health-token-123');
  const { port } = server.address() as AddressInfo; // a TCP server's address is an AddressInfo
  try {
    const get = (path: string, token?: string) => fetch(`http://127.0.0.1:${port}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    assert.equal((await get('/healthz')).status, 503, 'no sweep yet, but it answers');
    assert.equal((await get('/status')).status, 401);
    assert.equal((await get('/metrics', 'wrong')).status, 401);
    assert.equal((await get('/metrics', 'the-health-token-123')).status, 200);
    assert.equal((await get('/status', 'the-health-token-123')).status, 200);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  const open = await serveHealth(l, '127.0.0.1', 0, 60_000);
  const local = (open.address() as AddressInfo).port; // a TCP server's address is an AddressInfo
  try {
    assert.equal((await fetch(`http://127.0.0.1:${local}/metrics`)).status, 200, 'without a token: readable from this machine');
  } finally {
    await new Promise<void>((resolve) => open.close(() => resolve()));
  }
});

test("a gauge per account carries its login path's end, as a certificate's expiry is exported; 0 for a path already gone", () => {
  const l = new Liveness(
    ['ops'],
    () => 0,
    () => 0,
    [
      { username: 'etl@acme.com', path: 'soap-login', endsAt: new Date('2027-06-01T00:00:00Z') },
      { username: 'new@acme.com', path: 'soap-login', endsAt: null },
    ],
  );
  const text = l.metrics();
  assert.match(text, /^# TYPE sftoken_login_path_end_timestamp_seconds gauge$/m);
  assert.match(text, /^sftoken_login_path_end_timestamp_seconds\{username="etl@acme\.com",path="soap-login"\} 1811808000\.000$/m);
  assert.match(text, /^sftoken_login_path_end_timestamp_seconds\{username="new@acme\.com",path="soap-login"\} 0$/m);
});

test('a metric counts by reason what did not go through, so an alert can name a forged header or a lost claim', () => {
  const l = new Liveness(['ops']);
  l.handled('ops', [
    { outcome: 'rejected', reason: 'repeated-header:date', source: 'imap:INBOX/1/1' },
    { outcome: 'rejected', reason: 'repeated-header:from', source: 'imap:INBOX/1/2' },
    { outcome: 'failed', reason: 'claim-lost', source: 'imap:INBOX/1/3' },
    { outcome: 'superseded', reason: 'destination-newer:file:/srv/t.json', source: 'imap:INBOX/1/4' },
    { outcome: 'stored', reason: 'dkim:salesforce.com', source: 'imap:INBOX/1/5' },
  ]);
  const text = l.metrics();
  assert.match(text, /^sftoken_messages_not_stored_total\{mailbox="ops",reason="repeated-header"\} 2$/m);
  assert.match(text, /^sftoken_messages_not_stored_total\{mailbox="ops",reason="claim-lost"\} 1$/m);
  assert.match(text, /^sftoken_messages_not_stored_total\{mailbox="ops",reason="destination-newer"\} 1$/m);
  assert.doesNotMatch(text, /reason="dkim"/);
});
