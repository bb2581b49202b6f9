import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractToken } from '../../../src/mail/extract.js';

const TOKEN = 'aB3dE5fG7hJ9kL1mN2pQ4rS6';

test('reads username and token from the English template', () => {
  const r = extractToken(`Hi,\n\nUsername: Jane@Acme.com\nSecurity token (case-sensitive): ${TOKEN}\n\nFor more information…`);
  assert.deepEqual(r, { ok: true, method: 'labels', value: { username: 'jane@acme.com', token: TOKEN } });
});

test('reads the Japanese labels, with full-width colon and parentheses too', () => {
  const ascii = extractToken(`ユーザ名: tanaka@acme.co.jp\nセキュリティトークン (大文字と小文字を区別): ${TOKEN}`);
  const wide = extractToken(`ユーザー名：tanaka@acme.co.jp\nセキュリティトークン（大文字と小文字を区別）：${TOKEN}`);
  for (const r of [ascii, wide]) assert.deepEqual(r, { ok: true, method: 'labels', value: { username: 'tanaka@acme.co.jp', token: TOKEN } });
});

test('takes a value that sits alone on the line after its label, as in HTML tables', () => {
  const r = extractToken(`Username:\nops@acme.com\nSecurity token (case-sensitive):\n\n${TOKEN}\n`);
  assert.equal(r.ok && r.value.token, TOKEN);
});

test('keeps the sandbox suffix of the username', () => {
  const r = extractToken(`Username: dev@acme.com.uat\nSecurity token (case-sensitive): ${TOKEN}`);
  assert.equal(r.ok && r.value.username, 'dev@acme.com.uat');
});

test('reads through the quote marks of a forward', () => {
  const r = extractToken(`> Username: fwd@acme.com\n> Security token (case-sensitive): ${TOKEN}`);
  assert.equal(r.ok && r.value.token, TOKEN);
});

test('refuses a value that is not token-shaped', () => {
  for (const bad of ['short1', 'a'.repeat(33), 'has-dash-and-more-chars-xx', '[removed by mail filter]']) {
    assert.deepEqual(extractToken(`Username: a@acme.com\nSecurity token (case-sensitive): ${bad}`), { ok: false, reason: 'no-token' });
  }
});

test('refuses two different tokens in one email rather than guessing', () => {
  const r = extractToken(`Username: a@acme.com\nSecurity token: ${TOKEN}\nSecurity token: ${TOKEN.toLowerCase()}`);
  assert.deepEqual(r, { ok: false, reason: 'ambiguous-token' });
});

test('refuses a token without a username', () => {
  assert.deepEqual(extractToken(`Security token (case-sensitive): ${TOKEN}`), { ok: false, reason: 'no-username' });
});

test('falls back to structure for an unknown language: username line, then token line', () => {
  const r = extractToken(`Benutzername: kunde@acme.de\nSicherheitstoken (Groß-/Kleinschreibung beachten): ${TOKEN}`);
  assert.deepEqual(r, { ok: true, method: 'structure', value: { username: 'kunde@acme.de', token: TOKEN } });
});

test('the structural fallback ignores stray IDs that do not follow a username', () => {
  const r = extractToken(`Username2: x\nRequest: ${TOKEN}\n\nUser: kunde@acme.de\n\nOrg: 00D5g000004XyZaEAK`);
  assert.deepEqual(r, { ok: false, reason: 'no-token' });
});

test('invisible characters inside a value are not part of it', () => {
  const broken = `${TOKEN.slice(0, 5)}\u200b${TOKEN.slice(5, 10)}\u00ad${TOKEN.slice(10, 15)}\u2060${TOKEN.slice(15)}\ufeff`;
  const r = extractToken(`Username: a\u200b@acme.com\nSecurity token (case-sensitive): ${broken}`);
  assert.deepEqual(r, { ok: true, method: 'labels', value: { username: 'a@acme.com', token: TOKEN } });
});

test('punctuation after a value, brackets around it and an Outlook <mailto:> are not part of it', () => {
  const r = extractToken(`Username: ops@acme.com<mailto:ops@acme.com>.\nSecurity token (case-sensitive): (${TOKEN}).`);
  assert.deepEqual(r, { ok: true, method: 'labels', value: { username: 'ops@acme.com', token: TOKEN } });
});

test('the structural rule takes a value from the next line, also after a label that wrapped', () => {
  const wrapped = extractToken(`Benutzername: kunde@acme.de\nSicherheitstoken (Groß-/Kleinschreibung\nbeachten):\n${TOKEN}`);
  assert.deepEqual(wrapped, { ok: true, method: 'structure', value: { username: 'kunde@acme.de', token: TOKEN } });
  const nextLines = extractToken(`Имя пользователя:\nivan@acme.ru\nМаркер безопасности (с учетом регистра):\n${TOKEN}`);
  assert.deepEqual(nextLines, { ok: true, method: 'structure', value: { username: 'ivan@acme.ru', token: TOKEN } });
});

test('a known label whose note wrapped onto the next line still reads', () => {
  const r = extractToken(`Username: a@acme.com\nSecurity token (case-\nsensitive): ${TOKEN}`);
  assert.equal(r.ok && r.value.token, TOKEN);
});

test('any Unicode whitespace before the colon reads as one space (French typography, tabs, narrow no-break space)', () => {
  for (const space of ['\u00a0', '\u202f', '\t', '\u3000', '\v']) {
    const r = extractToken(`Nom d'utilisateur${space}: jean@acme.fr\nJeton de sécurité (sensible à la casse)${space}:${space}${TOKEN}`);
    assert.deepEqual(r, { ok: true, method: 'structure', value: { username: 'jean@acme.fr', token: TOKEN } }, JSON.stringify(space));
  }
});

test('a username with control characters is refused, so that no escape sequence reaches a log or a terminal', () => {
  for (const user of ['a\u001b[31m@acme.com', 'a\u0007b@acme.com', 'a\u0000@acme.com']) {
    const r = extractToken(`Username: ${user}\nSecurity token (case-sensitive): ${TOKEN}\n`);
    assert.deepEqual(r, { ok: false, reason: 'no-username' }, JSON.stringify(user));
  }
});

test('a label broken at any point before its value is joined: before its note, between its words, in a table row', () => {
  for (const text of [
    `Username: a@acme.com\nSecurity token\n(case-sensitive): ${TOKEN}`,
    `Username: a@acme.com\nSecurity\ntoken (case-sensitive): ${TOKEN}`,
    `Username: a@acme.com\nSecurity token ${TOKEN}\n(case-sensitive):`,
  ]) {
    assert.deepEqual(extractToken(text), { ok: true, method: 'labels', value: { username: 'a@acme.com', token: TOKEN } }, text);
  }
  // A heading that happens to be a label's words is not joined to prose.
  assert.deepEqual(extractToken(`Security token\nYour new token is below.\nUsername: a@acme.com\nSecurity token (case-sensitive): ${TOKEN}`).ok, true);
});
