import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redactor } from '../../../src/util/redact.js';
import { deliverToHelper, helperEnv } from '../../../src/util/helper-process.js';
import { TransientError } from '../../../src/util/errors.js';

test("the run's stop reaches a helper still running: it is ended, and the write is a failure to retry", async () => {
  const stop = new AbortController();
  const started = Date.now();
  // A helper that reads the token, then hangs far past anything the test waits for.
  const writing = deliverToHelper('exec:hang', '/bin/sh', ['-c', 'read t; exec sleep 600'], 'TokenA1234567890123456789', { env: helperEnv(new Redactor()), timeoutMs: 600_000, signal: stop.signal });
  stop.abort();
  await assert.rejects(writing, (e: unknown) => e instanceof TransientError && /exec:hang was stopped: sftoken is stopping/.test(e.message));
  assert.ok(Date.now() - started < 60_000, 'not held up by the helper');
});

test("a helper's environment holds none of the run's secrets and none of sftoken's settings", () => {
  const secrets = new Redactor();
  secrets.add('sf-Pa55-word-123');
  const env = helperEnv(secrets, { SFTOKEN_USERNAME: 'a@acme.com' }, { PATH: '/usr/bin', SF_PW: 'sf-Pa55-word-123', SFTOKEN_SF_PASSWORD: 'x', HOME: '/home/a' });
  assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/home/a', SFTOKEN_USERNAME: 'a@acme.com' });
});
