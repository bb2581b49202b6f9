import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trustPolicy, senderProver, type TrustDecision } from '../../../src/trust/policy.js';
import { parseAuthResults, trustedAuthResults } from '../../../src/trust/auth-results.js';
import { authResultsProver } from '../../../src/trust/auth-results-prover.js';
import { dkimProver, keysResolver } from '../../../src/trust/dkim.js';
import { parseDkimKeys } from '../../../src/trust/dkim-keys.js';
import { parseEmail } from '../../../src/mail/parse.js';
import { UsageError } from '../../../src/util/errors.js';
import { makeKey, sign, tokenEmail } from '../../helpers/dkim.js';

const SF = makeKey('salesforce.com');
const DATE = 'Mon, 02 Nov 2026 09:15:00 +0000';
const noDns = async (name: string): Promise<string[][]> => {
  throw Object.assign(new Error(`no DNS in tests: ${name}`), { code: 'ENOTFOUND' });
};

async function decide(raw: string, policy: ReturnType<typeof trustPolicy>): Promise<TrustDecision> {
  const parsed = await parseEmail(Buffer.from(raw), 1 << 20);
  assert.ok(parsed.ok);
  return policy({ email: parsed.email, raw: Buffer.from(raw) });
}

function dkimPolicy(keyLines: string[], dns = noDns, forwarders: string[] = []) {
  return trustPolicy({ prover: dkimProver(parseDkimKeys(keyLines.join('\n'), 'keys'), dns), trustedForwarders: forwarders });
}

const mail = (from = 'Salesforce <support@salesforce.com>') => tokenEmail({ from, username: 'u@acme.com', token: 'aB3dE5fG7hJ9kL1mN2pQ4rS6', date: DATE });

test('a whole-body DKIM signature by salesforce.com, aligned with From, is trusted, with its signing time', async () => {
  const signTime = new Date('2026-11-20T10:00:00Z');
  const trusted = { kind: 'trusted', via: 'dkim:salesforce.com', signedAt: signTime };
  assert.deepEqual(await decide(await sign(mail(), SF, { signTime }), dkimPolicy([SF.keyLine])), trusted);
  assert.deepEqual(await decide(await sign(mail('support@emea.salesforce.com'), SF, { signTime }), dkimPolicy([SF.keyLine])), trusted);
});

test('a signature limited by l= to part of the body does not count', async () => {
  const signed = await sign(mail(), SF, { maxBodyLength: 20 });
  assert.deepEqual(await decide(signed + 'Security token (case-sensitive): Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2\r\n', dkimPolicy([SF.keyLine])), { kind: 'untrusted', reason: 'dkim-fail:partial-body' });
});

test('a DNS failure while fetching a key is transient, not a rejection', async () => {
  const timeout = async (): Promise<string[][]> => {
    throw Object.assign(new Error('timeout'), { code: 'ETIMEOUT' });
  };
  assert.deepEqual(await decide(await sign(mail(), SF), dkimPolicy([], timeout)), { kind: 'transient', reason: 'dkim-temperror' });
});

test('a pinned domain is answered from the keys file alone; others go to DNS', async () => {
  const asked: string[] = [];
  const resolver = keysResolver(parseDkimKeys(SF.keyLine, 'keys'), async (name) => (asked.push(name), [['v=DKIM1; p=x']]));
  assert.deepEqual(await resolver('sf1._domainkey.salesforce.com', 'TXT'), [[SF.keyLine.split(' ').slice(1).join(' ')]]);
  await assert.rejects(resolver('other._domainkey.salesforce.com', 'TXT'), { code: 'ENOTFOUND' });
  await resolver('s._domainkey.example.org', 'TXT');
  assert.deepEqual(asked, ['s._domainkey.example.org']);
});

test('a malformed keys file names the line', () => {
  assert.throws(
    () => parseDkimKeys('# pinned\n\nsf1._domainkey.salesforce.com v=DKIM1; p=abc\nnot a key line', 'keys.txt'),
    (e: unknown) => e instanceof UsageError && /keys\.txt, line 4/.test(e.message),
  );
  assert.equal(parseDkimKeys('sf1._domainkey.salesforce.com. "v=DKIM1; k=rsa; " "p=abc"', 'k').get('sf1._domainkey.salesforce.com'), 'v=DKIM1; k=rsa; p=abc');
});

test('Authentication-Results are parsed with comments and properties', () => {
  assert.deepEqual(parseAuthResults(' mx.acme.com 1; dkim=pass (2048-bit key) header.d=salesforce.com header.s=sf1;\r\n dmarc=pass (p=REJECT) header.from=salesforce.com'), {
    authservId: 'mx.acme.com',
    results: [
      { method: 'dkim', result: 'pass', props: { 'header.d': 'salesforce.com', 'header.s': 'sf1' } },
      { method: 'dmarc', result: 'pass', props: { 'header.from': 'salesforce.com' } },
    ],
  });
});

test("only Authentication-Results above the named server's own Received line count", async () => {
  const received = 'Received: from mail.salesforce.com by mx.acme.com with ESMTPS id 1; Mon, 02 Nov 2026 09:15:01 +0000\r\n';
  const ours = 'Authentication-Results: mx.acme.com; dkim=pass header.d=salesforce.com\r\n';
  const forged = 'Authentication-Results: mx.acme.com; dkim=pass header.d=salesforce.com\r\n';
  const policy = trustPolicy({ prover: authResultsProver('mx.acme.com'), trustedForwarders: [] });
  const good = tokenEmail({ from: 'support@salesforce.com', username: 'u@acme.com', token: 'aB3dE5fG7hJ9kL1mN2pQ4rS6', date: DATE, extraHeaders: ours + received });
  const bad = tokenEmail({ from: 'support@salesforce.com', username: 'u@acme.com', token: 'aB3dE5fG7hJ9kL1mN2pQ4rS6', date: DATE, extraHeaders: received + forged });
  assert.deepEqual(await decide(good, policy), { kind: 'trusted', via: 'auth-results:mx.acme.com:dkim' });
  assert.deepEqual(await decide(bad, policy), { kind: 'untrusted', reason: 'auth-results-missing' });
  const parsed = await parseEmail(Buffer.from(bad), 1 << 20);
  assert.ok(parsed.ok);
  assert.equal(trustedAuthResults(parsed.email.headerLines, 'mx.acme.com').length, 0);
  const other = tokenEmail({
    from: 'support@salesforce.com',
    username: 'u@acme.com',
    token: 'aB3dE5fG7hJ9kL1mN2pQ4rS6',
    date: DATE,
    extraHeaders: 'Authentication-Results: mx.acme.com; dkim=fail header.d=salesforce.com\r\n' + received,
  });
  assert.deepEqual(await decide(other, policy), { kind: 'untrusted', reason: 'auth-results-fail' });
});

test('a forged Received line naming the server cannot make a sender-written Authentication-Results count', async () => {
  // The receiving server's own line names its host, not the authserv-id; below it, the sender
  // wrote a verdict and a Received line that names the authserv-id.
  const real = 'Received: from mail.attacker.example by mail.acme.com with ESMTPS id 9; Mon, 02 Nov 2026 09:15:02 +0000\r\n';
  const forged = 'Authentication-Results: mx.acme.com; dkim=pass header.d=salesforce.com; dmarc=pass header.from=salesforce.com\r\n';
  const forgedHop = 'Received: from mail.salesforce.com by mx.acme.com with ESMTPS id 1; Mon, 02 Nov 2026 09:15:01 +0000\r\n';
  const policy = trustPolicy({ prover: authResultsProver('mx.acme.com'), trustedForwarders: [] });
  const email = tokenEmail({ from: 'support@salesforce.com', username: 'u@acme.com', token: 'aB3dE5fG7hJ9kL1mN2pQ4rS6', date: DATE, extraHeaders: real + forged + forgedHop });
  assert.deepEqual(await decide(email, policy), { kind: 'untrusted', reason: 'auth-results-missing' });
});

test("delivery by LMTP (Dovecot adds its own Received line on top) keeps the MTA's verdict; a sender-written one still does not count", async () => {
  const lmtp = 'Received: from mx.acme.com ([127.0.0.1]) by mail.acme.com with LMTP id Xy12; Mon, 02 Nov 2026 09:15:03 +0000\r\n';
  const border = 'Received: from mail.salesforce.com by mx.acme.com (Postfix) with ESMTPS id 1; Mon, 02 Nov 2026 09:15:01 +0000\r\n';
  const verdict = 'Authentication-Results: mx.acme.com; dkim=pass header.d=salesforce.com\r\n';
  const policy = trustPolicy({ prover: authResultsProver('mx.acme.com'), trustedForwarders: [] });
  const email = (headers: string) => tokenEmail({ from: 'support@salesforce.com', username: 'u@acme.com', token: 'aB3dE5fG7hJ9kL1mN2pQ4rS6', date: DATE, extraHeaders: headers });
  assert.deepEqual(await decide(email(lmtp + verdict + border), policy), { kind: 'trusted', via: 'auth-results:mx.acme.com:dkim' });
  // Below the border hop, a verdict and an LMTP line of the sender's own making change nothing.
  assert.deepEqual(await decide(email(lmtp + border + lmtp + verdict), policy), { kind: 'untrusted', reason: 'auth-results-missing' });
});

test('the sender prover trusts a Salesforce From and a listed forwarder, nobody else', async () => {
  const policy = trustPolicy({ prover: senderProver, trustedForwarders: ['Pat.Admin@acme.com'] });
  assert.deepEqual(await decide(mail(), policy), { kind: 'trusted', via: 'sender:salesforce.com' });
  assert.deepEqual(await decide(mail('pat.admin@acme.com'), policy), { kind: 'trusted', via: 'forwarder:pat.admin@acme.com+sender:acme.com' });
  assert.deepEqual(await decide(mail('carol@acme.com'), policy), { kind: 'untrusted', reason: 'untrusted-sender' });
});

test('a failed DKIM check says why: the body changed, the signature is wrong, or there is no key', async () => {
  const signed = await sign(mail(), SF);
  const changed = signed.replace('see the Salesforce Help', 'see the Help');
  assert.deepEqual(await decide(changed, dkimPolicy([SF.keyLine])), { kind: 'untrusted', reason: 'dkim-fail:body-hash' });
  const otherKey = makeKey('salesforce.com');
  assert.deepEqual(await decide(signed, dkimPolicy([otherKey.keyLine])), { kind: 'untrusted', reason: 'dkim-fail:signature' });
  assert.deepEqual(await decide(signed, dkimPolicy([])), { kind: 'untrusted', reason: 'dkim-fail:no-key' });
});

test('a signed token email from a Salesforce address that does not send token notices is refused as unexpected-sender', async () => {
  const fromInfo = await sign(tokenEmail({ from: 'ApexApplication <info@salesforce.com>', username: 'u@acme.com', token: 'aB3dE5fG7hJ9kL1mN2pQ4rS6', date: DATE }), SF);
  assert.deepEqual(await decide(fromInfo, dkimPolicy([SF.keyLine])), { kind: 'untrusted', reason: 'unexpected-sender' });
  const fromSupport = await sign(tokenEmail({ from: 'Salesforce <support@emea.salesforce.com>', username: 'u@acme.com', token: 'aB3dE5fG7hJ9kL1mN2pQ4rS6', date: DATE }), SF);
  assert.equal((await decide(fromSupport, dkimPolicy([SF.keyLine]))).kind, 'trusted');
});
