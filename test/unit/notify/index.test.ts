import { test } from 'node:test';
import assert from 'node:assert/strict';
import { teams } from '../../../src/notify/teams.js';
import { parseTarget } from '../../../src/notify/index.js';

const event = {
  kind: 'token-email' as const,
  outcome: 'rejected' as const,
  reason: 'login-rejected:INVALID_LOGIN',
  username: 'a@acme.com',
  fingerprint: 'sha256:000000000000',
  source: 'imap:INBOX/1/2',
  at: '2026-11-25T12:00:00.000Z',
  note: 'fix the password',
};

test('Slack and Teams webhooks are known by their host; anything else gets JSON; logs show the host only', () => {
  assert.equal(parseTarget('https://hooks.slack.com/services/T0/B0/secret').label, 'slack:hooks.slack.com');
  assert.equal(parseTarget('https://prod-12.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=secret').label, 'teams:prod-12.westus.logic.azure.com');
  assert.equal(parseTarget('https://alerts.acme.com/sftoken').label, 'json:alerts.acme.com');
  assert.equal(parseTarget('teams:http://127.0.0.1:8080/x').label, 'teams:127.0.0.1:8080');
  assert.throws(() => parseTarget('http://alerts.acme.com/x'), /must be https/);
});

test('a Teams message is an Adaptive Card whose first line says what happened', () => {
  const card = teams.payload(event) as { type: string; attachments: Array<{ contentType: string; content: { body: Array<{ text: string }> } }> };
  assert.equal(card.type, 'message');
  assert.equal(card.attachments[0]?.contentType, 'application/vnd.microsoft.card.adaptive');
  assert.equal(card.attachments[0]?.content.body[0]?.text, 'sftoken: a token email for a@acme.com (sha256:000000000000) was refused: login-rejected:INVALID_LOGIN');
  assert.equal(card.attachments[0]?.content.body[1]?.text, 'What to do: fix the password');
});
