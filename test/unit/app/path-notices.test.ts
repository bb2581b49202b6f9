import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tellLoginPathEnds, warnOfPathEnds } from '../../../src/app/path-notices.js';
import type { Config } from '../../../src/config/index.js';
import type { Notifier } from '../../../src/notify/index.js';
import { createLogger } from '../../../src/util/log.js';
import { Redactor } from '../../../src/util/redact.js';
import { defaultPathEnds } from '../../../src/verify/login-paths.js';

function run(accounts: Array<{ username: string; apiVersion: string }>) {
  const lines: string[] = [];
  const told: string[] = [];
  const marks = new Map<string, string>();
  const notifier: Pick<Notifier, 'notice'> = { notice: (n) => void told.push(n.headline) };
  const config = { accounts: accounts.map((a) => ({ ...a, oauth: null })), loginPathEnds: defaultPathEnds() };
  return {
    lines,
    told,
    run: {
      // Only what the notices read: the accounts and the dates.
      config: config as unknown as Config,
      log: createLogger('warn', 'text', (l) => void lines.push(l), new Redactor()),
      // Only notice() is called.
      notifier: notifier as Notifier,
      checkpoint: async () => undefined,
      notices: { noticeTold: (k: string) => marks.get(k), recordNotice: (k: string, at: string) => void marks.set(k, at) },
    },
  };
}

test('under a driven clock, each threshold is told once, and a watch start names each account within 60 days', async () => {
  const w = run([
    { username: 'etl@acme.com', apiVersion: '64.0' },
    { username: 'new@acme.com', apiVersion: '65.0' },
  ]);
  const clock = [
    '2027-03-01T00:00:00Z',
    '2027-04-02T00:00:00Z',
    '2027-04-20T00:00:00Z',
    '2027-05-02T00:00:00Z',
    '2027-05-03T00:00:00Z',
    '2027-05-25T00:00:00Z',
    '2027-05-31T08:00:00Z',
    '2027-05-31T20:00:00Z',
  ];
  for (const now of clock) await tellLoginPathEnds(w.run, new Date(now));
  assert.deepEqual(w.told, [
    'etl@acme.com logs in with SOAP login() at API 64.0, which ends in 60 days (2027-06-01)',
    'etl@acme.com logs in with SOAP login() at API 64.0, which ends in 30 days (2027-06-01)',
    'etl@acme.com logs in with SOAP login() at API 64.0, which ends in 7 days (2027-06-01)',
    'etl@acme.com logs in with SOAP login() at API 64.0, which ends in 1 day (2027-06-01)',
  ]);
  w.lines.length = 0;
  warnOfPathEnds(w.run, new Date('2027-03-01T00:00:00Z'));
  assert.equal(w.lines.length, 1, 'only the account whose path is gone, 92 days ahead');
  assert.match(w.lines[0] ?? '', /login path of new@acme\.com: SOAP login\(\) at API 65\.0: not available/);
  warnOfPathEnds(w.run, new Date('2027-04-05T00:00:00Z'));
  assert.match(w.lines[1] ?? '', /login path of etl@acme\.com: SOAP login\(\) at API 64\.0: ends on 2027-06-01, in 57 days/);
});
