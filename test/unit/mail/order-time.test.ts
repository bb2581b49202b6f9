import { test } from 'node:test';
import assert from 'node:assert/strict';
import { implausible, orderTime, repeatedSingleton, topReceived } from '../../../src/mail/order-time.js';

const lines = (...l: Array<[string, string]>) => ({ headerLines: l.map(([key, line]) => ({ key, line })) });
const now = new Date('2026-12-04T12:00:00Z');

test('a field that may appear once and appears twice is named; Received and other repeatable fields are not', () => {
  assert.equal(repeatedSingleton(lines(['date', 'Date: a'], ['from', 'From: x'], ['date', 'Date: b'])), 'date');
  assert.equal(repeatedSingleton(lines(['received', 'Received: a'], ['received', 'Received: b'], ['dkim-signature', 'x'], ['dkim-signature', 'y'])), null);
  assert.equal(repeatedSingleton(lines(['Subject', 'Subject: a'], ['subject', 'Subject: b'])), 'subject', 'names compare without case');
});

test('a date beyond a small skew into the future, or before any token email existed, is not believed', () => {
  assert.equal(implausible(new Date('2026-12-04T12:10:00Z'), now), null, 'ten minutes ahead: clocks differ');
  assert.equal(implausible(new Date('2026-12-04T12:30:00Z'), now), 'future');
  assert.equal(implausible(new Date('1970-01-01T00:00:00Z'), now), 'ancient');
  assert.equal(implausible(null, now), null);
});

test('the order time: the signature t= when there is one, else the earliest of Date, INTERNALDATE and the top Received, never after now', () => {
  const t = new Date('2026-11-20T10:00:00Z');
  assert.deepEqual(orderTime({ signedAt: t, date: new Date('2026-12-31T00:00:00Z'), receivedAt: now, receivedHeader: null }, now), t);
  assert.deepEqual(
    orderTime({ signedAt: null, date: new Date('2026-12-04T11:59:00Z'), receivedAt: new Date('2026-12-04T11:00:00Z'), receivedHeader: new Date('2026-12-04T11:30:00Z') }, now),
    new Date('2026-12-04T11:00:00Z'),
    'a copy received an hour ago is no newer than an hour ago, whatever its Date says',
  );
  assert.deepEqual(orderTime({ signedAt: new Date('2027-01-01T00:00:00Z'), date: null, receivedAt: null, receivedHeader: null }, now), now, 'clamped to now');
});

test('the top Received field dates the last hop', () => {
  const head = lines(['received', 'Received: from mx.acme.com by imap.acme.com; Fri, 04 Dec 2026 11:58:00 +0000'], ['received', 'Received: from x; Thu, 01 Jan 2026 00:00:00 +0000']);
  assert.deepEqual(topReceived(head), new Date('2026-12-04T11:58:00Z'));
  assert.equal(topReceived(lines(['received', 'Received: garbage'])), null);
});
