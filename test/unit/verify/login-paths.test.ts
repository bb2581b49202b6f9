import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PATH_ENDS, daysLeft, defaultPathEnds, dueNotice, loginPathOf, pathAdvice } from '../../../src/verify/login-paths.js';

const ends = defaultPathEnds();

test("each account's path: SOAP login() at its API version, or the OAuth flow with its client, and the date each ends", () => {
  const soap = loginPathOf({ apiVersion: '64.0', oauth: null }, ends);
  assert.deepEqual([soap.kind, soap.label, soap.endsAt.toISOString(), soap.available], ['soap-login', 'SOAP login() at API 64.0', '2027-06-01T00:00:00.000Z', true]);
  const oauth = loginPathOf({ apiVersion: '64.0', oauth: { clientId: '3MVG9abcdefghijklmnopqrstuvwxyz', clientSecret: 'x' } }, ends);
  assert.deepEqual([oauth.kind, oauth.label, oauth.endsAt.toISOString()], ['oauth-username-password', 'OAuth username-password flow (client 3MVG9a…wxyz)', '2027-02-20T00:00:00.000Z']);
  assert.equal(loginPathOf({ apiVersion: '65.0', oauth: null }, ends).available, false, 'no login() from API 65.0');
  for (const end of Object.values(PATH_ENDS)) assert.ok(end.source.length > 20, 'every date names its source');
});

test('days left count the last day as 1, and notices fall due once per threshold, the nearest one reached', () => {
  const end = new Date('2027-06-01T00:00:00Z');
  assert.equal(daysLeft(end, new Date('2027-05-31T23:00:00Z')), 1);
  assert.equal(daysLeft(end, new Date('2027-04-02T00:00:00Z')), 60);
  assert.equal(daysLeft(end, new Date('2027-06-01T00:00:00Z')), 0);
  assert.equal(dueNotice(61, []), null);
  assert.equal(dueNotice(60, []), 60);
  assert.equal(dueNotice(45, [60]), null);
  assert.equal(dueNotice(20, []), 30, 'a late start tells the nearest threshold, not all of them');
  assert.equal(dueNotice(20, [30]), null);
  assert.equal(dueNotice(0, [60, 30, 7]), 1);
  assert.equal(dueNotice(-3, [60, 30, 7, 1]), null);
});

test('the advice says the date, the days left and the way across', () => {
  const path = loginPathOf({ apiVersion: '64.0', oauth: null }, ends);
  assert.equal(pathAdvice(path, new Date('2027-05-25T12:00:00Z')), 'ends on 2027-06-01, in 7 days: move the integration to JWT bearer or client credentials before then');
  assert.equal(pathAdvice(path, new Date('2027-06-02T00:00:00Z')), 'ended on 2027-06-01: move the integration to JWT bearer or client credentials');
  assert.match(pathAdvice(loginPathOf({ apiVersion: '66.0', oauth: null }, ends), new Date()), /^not available at API 65\.0 and later: set apiVersion to 64\.0/);
});
