import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Liveness, serveHealth } from '../../src/app/health.js';

test('liveness is healthy only while the last contact is recent', () => {
  const l = new Liveness();
  const t0 = new Date('2026-11-25T12:00:00Z');
  assert.equal(l.healthy(30_000, t0), false, 'no contact yet: not healthy');
  l.contact(t0);
  assert.equal(l.healthy(30_000, new Date(t0.getTime() + 30_000)), true);
  assert.equal(l.healthy(30_000, new Date(t0.getTime() + 30_001)), false);
});

test('metrics count outcomes, reconnects and the last stored time per user', () => {
  const l = new Liveness();
  l.reconnecting();
  l.reconnecting();
  l.handled([{ outcome: 'stored', username: 'a@acme.com', source: 's' }, { outcome: 'ignored', source: 't' }, { outcome: 'ignored', source: 'u' }], new Date(1_000_000));
  const m = l.metrics();
  assert.match(m, /^sftoken_messages_total\{outcome="stored"\} 1$/m);
  assert.match(m, /^sftoken_messages_total\{outcome="ignored"\} 2$/m);
  assert.match(m, /^sftoken_imap_reconnects_total 2$/m);
  assert.match(m, /^sftoken_token_last_stored_timestamp_seconds\{username="a@acme.com"\} 1000\.000$/m);
  assert.match(m, /^sftoken_token_last_outcome\{username="a@acme.com",outcome="stored"\} 1$/m);
});

test('a refused token after a stored one shows as the last outcome, and the stored time stays', () => {
  const l = new Liveness();
  l.handled([{ outcome: 'stored', username: 'a@acme.com', source: 's' }], new Date(1_000_000));
  l.handled([{ outcome: 'rejected', reason: 'login-rejected:INVALID_LOGIN', username: 'a@acme.com', source: 't' }], new Date(2_000_000));
  const m = l.metrics();
  assert.match(m, /^sftoken_token_last_outcome\{username="a@acme.com",outcome="rejected"\} 1$/m);
  assert.match(m, /^sftoken_token_last_outcome\{username="a@acme.com",outcome="stored"\} 0$/m);
  assert.match(m, /^sftoken_token_last_stored_timestamp_seconds\{username="a@acme.com"\} 1000\.000$/m);
  assert.deepEqual(JSON.parse(JSON.stringify(l.status(1000))).users['a@acme.com'].reason, 'login-rejected:INVALID_LOGIN');
});

test('/healthz answers 200 while contact is recent and 503 once it is not', async () => {
  const l = new Liveness();
  const server = await serveHealth(l, '127.0.0.1', 0, 200);
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`; // a TCP server's address is an AddressInfo
    assert.equal((await fetch(`${url}/healthz`)).status, 503, 'before any contact');
    l.contact();
    const ok = await fetch(`${url}/healthz`);
    assert.deepEqual([ok.status, await ok.text()], [200, 'ok\n']);
    l.contact(new Date(Date.now() - 1000));
    assert.equal((await fetch(`${url}/healthz`)).status, 503, 'contact older than the limit');
    assert.equal((await fetch(`${url}/metrics`)).status, 200);
    assert.equal(((await (await fetch(`${url}/status`)).json()) as { healthy: boolean }).healthy, false);
    assert.equal((await fetch(`${url}/nope`)).status, 404);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
