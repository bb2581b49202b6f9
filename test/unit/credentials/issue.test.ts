import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { classifyIssueError } from '../../../src/credentials/issue.js';
import { jwtAssertion } from '../../../src/credentials/jwt.js';
import { due } from '../../../src/credentials/refresh.js';

const oauthError = (name: string, description: string) => Object.assign(new Error(description), { name });

test('the JWT assertion is RS256 over iss, sub, aud and an exp within three minutes, and verifies with the public key', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = new Date('2026-12-04T12:00:00Z');
  const jwt = jwtAssertion({
    clientId: '3MVG9app',
    username: 'etl@acme.com',
    audience: 'https://login.salesforce.com',
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    now,
  });
  const [header = '', claims = '', signature = ''] = jwt.split('.');
  assert.deepEqual(JSON.parse(Buffer.from(header, 'base64url').toString()), { alg: 'RS256' });
  const c = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { iss: string; sub: string; aud: string; exp: number };
  assert.deepEqual([c.iss, c.sub, c.aud], ['3MVG9app', 'etl@acme.com', 'https://login.salesforce.com']);
  assert.ok(c.exp > now.getTime() / 1000 && c.exp <= now.getTime() / 1000 + 180);
  assert.ok(verify('sha256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature, 'base64url')));
});

test("Salesforce's documented token-endpoint errors each say what to fix; network trouble is retried", () => {
  assert.deepEqual(classifyIssueError(oauthError('invalid_grant', "user hasn't approved this consumer")), { kind: 'refused', detail: 'not-approved', code: 'invalid_grant' });
  assert.deepEqual(classifyIssueError(oauthError('invalid_grant', 'audience is invalid')), { kind: 'refused', detail: 'audience', code: 'invalid_grant' });
  assert.deepEqual(classifyIssueError(oauthError('invalid_grant', 'expired authorization code')), { kind: 'refused', detail: 'expired-assertion', code: 'invalid_grant' });
  assert.deepEqual(classifyIssueError(oauthError('invalid_client_id', 'client identifier invalid')), { kind: 'refused', detail: 'client', code: 'invalid_client_id' });
  assert.deepEqual(classifyIssueError(oauthError('invalid_client', 'invalid client credentials')), { kind: 'refused', detail: 'client', code: 'invalid_client' });
  assert.deepEqual(classifyIssueError(oauthError('ERROR_HTTP_503', '<html>')), { kind: 'transient', code: 'HTTP_503' });
  assert.deepEqual(classifyIssueError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), { kind: 'transient', code: 'ECONNREFUSED' });
});

test('a token is due at its time, and never within a minute of the last request', () => {
  const now = new Date('2026-12-04T12:00:00Z');
  assert.equal(due({ failures: 0 }, now), true, 'none yet');
  assert.equal(due({ failures: 0, nextAttemptAt: '2026-12-04T12:00:01Z' }, now), false);
  assert.equal(due({ failures: 0, nextAttemptAt: '2026-12-04T11:00:00Z', lastAttemptAt: '2026-12-04T11:59:30Z' }, now), false, 'asked 30 s ago');
  assert.equal(due({ failures: 0, nextAttemptAt: '2026-12-04T11:00:00Z', lastAttemptAt: '2026-12-04T11:58:59Z' }, now), true);
});
