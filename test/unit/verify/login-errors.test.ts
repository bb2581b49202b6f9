import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyLoginError } from '../../../src/verify/login-errors.js';
import { backoffMs } from '../../../src/util/backoff.js';
import { withinLastHour } from '../../../src/verify/lockout.js';

function oauthError(name: string, description: string): Error {
  const e = new Error(description);
  e.name = name;
  return e;
}

function sysError(code: string): Error {
  return Object.assign(new Error(`request to https://login.salesforce.com failed, reason: ${code}`), { name: 'FetchError', code });
}

test('refused credentials are rejections', () => {
  assert.deepEqual(classifyLoginError(new Error('INVALID_LOGIN: Invalid username, password, security token; or user locked out.')), { kind: 'rejected', code: 'INVALID_LOGIN' });
  assert.deepEqual(classifyLoginError(new Error('LOGIN_MUST_USE_SECURITY_TOKEN: Invalid username, password, security token.')), { kind: 'rejected', code: 'LOGIN_MUST_USE_SECURITY_TOKEN' });
  assert.deepEqual(classifyLoginError(oauthError('invalid_grant', 'authentication failure')), { kind: 'rejected', code: 'invalid_grant' });
});

test('an expired password is its own outcome', () => {
  assert.equal(classifyLoginError(new Error('Unable to login because the used password has expired.')).kind, 'password-expired');
  assert.equal(classifyLoginError(new Error('INVALID_OPERATION_WITH_EXPIRED_PASSWORD: The users password has expired')).kind, 'password-expired');
});

test('a login API that is not available is a configuration matter, not a bad token', () => {
  for (const e of [
    new Error('UNSUPPORTED_API_VERSION: Invalid Api version specified on URL'),
    new Error('API_DISABLED_FOR_ORG: API is not enabled for this Organization or Partner'),
    oauthError('unsupported_grant_type', 'grant type not supported'),
    oauthError('invalid_client_id', 'client identifier invalid'),
  ]) {
    assert.equal(classifyLoginError(e).kind, 'unavailable', e.message);
  }
});

test("Salesforce closing the security token's login path is its own answer, whatever the token", () => {
  assert.deepEqual(classifyLoginError(new Error('INVALID_OPERATION: SOAP API login() is disabled by default in this org. Contact the org administrator to enable SOAP API login().')), {
    kind: 'path-closed',
    code: 'INVALID_OPERATION',
    path: 'soap-disabled',
  });
  assert.deepEqual(classifyLoginError(new Error('INVALID_OPERATION: The SOAP Login operation is not available in the API version specified.')), {
    kind: 'path-closed',
    code: 'INVALID_OPERATION',
    path: 'soap-version',
  });
  assert.deepEqual(classifyLoginError(new Error('INSUFFICIENT_ACCESS: insufficient access rights')), { kind: 'path-closed', code: 'INSUFFICIENT_ACCESS', path: 'soap-permission' });
  // The OAuth flow blocked answers as a wrong password does: not a closed path by itself.
  assert.deepEqual(classifyLoginError(oauthError('invalid_grant', 'authentication failure')), { kind: 'rejected', code: 'invalid_grant' });
});

test('busy answers and network failures are transient; only those that may have reached Salesforce are uncertain', () => {
  assert.deepEqual(classifyLoginError(new Error('REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.')), { kind: 'transient', code: 'REQUEST_LIMIT_EXCEEDED', uncertain: false });
  assert.deepEqual(classifyLoginError(new Error('SERVER_UNAVAILABLE: server down')), { kind: 'transient', code: 'SERVER_UNAVAILABLE', uncertain: false });
  assert.deepEqual(classifyLoginError(oauthError('ERROR_HTTP_503', '<html>down</html>')), { kind: 'transient', code: 'HTTP_503', uncertain: false });
  assert.deepEqual(classifyLoginError(sysError('ECONNREFUSED')), { kind: 'transient', code: 'ECONNREFUSED', uncertain: false });
  assert.deepEqual(classifyLoginError(sysError('ECONNRESET')), { kind: 'transient', code: 'ECONNRESET', uncertain: true });
  assert.deepEqual(classifyLoginError(new Error('Request Timeout')), { kind: 'transient', code: 'TIMEOUT', uncertain: true });
  assert.deepEqual(classifyLoginError(new Error('<html><body>Service Unavailable</body></html>')), { kind: 'transient', code: 'UNEXPECTED_RESPONSE', uncertain: false });
  assert.deepEqual(classifyLoginError(new Error('SOME_NEW_CODE: what is this')), { kind: 'transient', code: 'SOME_NEW_CODE', uncertain: true });
});

test('backoff doubles up to its cap, with jitter between half and all of it', () => {
  assert.equal(
    backoffMs(0, 1000, 60_000, () => 1),
    1000,
  );
  assert.equal(
    backoffMs(3, 1000, 60_000, () => 1),
    8000,
  );
  assert.equal(
    backoffMs(3, 1000, 60_000, () => 0),
    4000,
  );
  assert.equal(
    backoffMs(20, 1000, 60_000, () => 1),
    60_000,
  );
});

test('only failures of the last hour count', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  assert.deepEqual(withinLastHour(['2026-11-23T10:59:00Z', '2026-11-23T11:30:00Z'], now), ['2026-11-23T11:30:00Z']);
});
