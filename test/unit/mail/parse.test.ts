import { test } from 'node:test';
import assert from 'node:assert/strict';
import { htmlToText } from '../../../src/mail/html.js';
import { parseEmail, precheck, withoutBom } from '../../../src/mail/parse.js';

const MAIL = Buffer.from('From: a@b.com\r\nSubject: hi\r\n\r\nbody\r\n');

test('precheck refuses oversize, empty and binary input before parsing', () => {
  assert.deepEqual(precheck(MAIL, 10), { ok: false, reason: 'too-large' });
  assert.deepEqual(precheck(Buffer.from(' \r\n\t'), 100), { ok: false, reason: 'empty' });
  assert.deepEqual(precheck(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1]), 100), { ok: false, reason: 'not-an-email' });
  assert.deepEqual(precheck(Buffer.from('just some words\n'), 100), { ok: false, reason: 'not-an-email' });
  assert.equal(precheck(MAIL, 1000), null);
});

test('HTML is rendered as a person reads it: table rows on one line, no link targets, no uppercasing', () => {
  const text = htmlToText('<h2>New token</h2><table><tr><td>Username:</td><td><a href="mailto:a@b.com">a@b.com</a></td></tr></table>');
  assert.match(text, /New token/);
  assert.match(text, /Username:\s+a@b\.com$/m);
  assert.doesNotMatch(text, /mailto/);
});

test('a message with only HTML gets its text from the HTML', async () => {
  const raw = Buffer.from('From: s@salesforce.com\r\nContent-Type: text/html\r\n\r\n<p>Username:&nbsp;<b>x@y.com</b></p>');
  const r = await parseEmail(raw, 10_000);
  assert.ok(r.ok);
  assert.match(r.email.text, /Username:\s+x@y\.com/);
});

test('a missing Date stays missing rather than becoming now', async () => {
  const r = await parseEmail(MAIL, 10_000);
  assert.ok(r.ok);
  assert.equal(r.email.date, null);
  assert.deepEqual(r.email.from, { address: 'a@b.com', name: '' });
});

test('a From field with several addresses yields no single sender', async () => {
  const r = await parseEmail(Buffer.from('From: support@salesforce.com, x@evil.io\r\n\r\nhi'), 10_000);
  assert.ok(r.ok);
  assert.equal(r.email.from, null);
});

test('a message saved with a byte-order mark in front is mail all the same', () => {
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), MAIL]);
  assert.equal(precheck(bom, 100_000)?.reason, 'not-an-email', 'the sniff alone would refuse it');
  assert.equal(precheck(withoutBom(bom), 100_000), null);
  assert.equal(withoutBom(MAIL), MAIL, 'nothing to strip: the same bytes');
});
