import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tellCertificateExpiry, certificateExpiry } from '../../../src/app/refresh.js';
import type { RunContext } from '../../../src/app/context.js';
import type { IssuedAccount } from '../../../src/config/issued-accounts.js';
import type { Notifier } from '../../../src/notify/index.js';
import { silentLogger } from '../../../src/util/log.js';
import { tempDir } from '../../helpers/tmp.js';

test("a JWT account's certificate expiry is told 30 and 7 days before, each once, under a driven clock", async () => {
  const dir = await tempDir();
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '40', '-subj', '/CN=t'], { stdio: 'ignore' });
  const account: IssuedAccount = {
    username: 'etl@acme.com',
    grant: { kind: 'jwt', clientId: 'x', privateKey: '', certificate: join(dir, 'c.pem') },
    loginUrl: 'https://login.salesforce.com',
    sessionTimeoutMs: 7_200_000,
    refreshEveryMs: 3_600_000,
    destinations: null,
  };
  const expiry = certificateExpiry(account);
  assert.ok(expiry);
  const told: string[] = [];
  const marks = new Map<string, string>();
  const notifier: Pick<Notifier, 'notice'> = { notice: (n) => void told.push(n.headline) };
  const ctx = {
    config: { issuedAccounts: [account] },
    log: silentLogger,
    // Only notice() is called.
    notifier: notifier as Notifier,
    checkpoint: async () => undefined,
    notices: { noticeTold: (k: string) => marks.get(k), recordNotice: (k: string, at: string) => void marks.set(k, at) },
    // Only what tellCertificateExpiry reads: the accounts, the log, the notifier, the notices.
  } as unknown as RunContext;
  const day = 24 * 3600 * 1000;
  for (const daysBefore of [35, 29, 28, 10, 6, 5]) await tellCertificateExpiry(ctx, new Date(expiry.getTime() - daysBefore * day));
  assert.equal(told.length, 2);
  assert.match(told[0] ?? '', /^the certificate for etl@acme\.com's JWT expires in 29 days/);
  assert.match(told[1] ?? '', /in 6 days/);
});
