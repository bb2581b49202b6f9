import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heldOrderTime, setVariable, stampOrder } from '../../../src/stores/dotenv.js';

const T = 'aB3dE5fG7hJ9kL1mN2pQ4rS6';

test('a .env keeps every other byte: comments, order, quoting, CRLF and a missing final newline', () => {
  assert.equal(setVariable('# c\r\nA="x y"\r\nSF_TOKEN=old\r\nB=2', 'SF_TOKEN', T), `# c\r\nA="x y"\r\nSF_TOKEN='${T}'\r\nB=2`);
  assert.equal(setVariable('  export SF_TOKEN = "old" # note\n', 'SF_TOKEN', T), `  export SF_TOKEN='${T}'\n`);
  assert.equal(setVariable('A=1', 'SF_TOKEN', T), `A=1\nSF_TOKEN='${T}'\n`);
  assert.equal(setVariable('', 'SF_TOKEN', T), `SF_TOKEN='${T}'\n`);
  assert.equal(setVariable('SF_TOKEN=a\nSF_TOKEN_OLD=b\nSF_TOKEN=c\n', 'SF_TOKEN', T), `SF_TOKEN='${T}'\nSF_TOKEN_OLD=b\nSF_TOKEN='${T}'\n`, 'every assignment, and only that name');
});

test('a .env keeps the order time of its token in a comment above the variable, which every reader skips', () => {
  const once = stampOrder(setVariable('A=1\r\nSF_TOKEN=old\r\n', 'SF_TOKEN', T), 'SF_TOKEN', '2026-11-02T00:00:00.000Z');
  assert.equal(once, `A=1\r\n# sftoken: SF_TOKEN from a token email of 2026-11-02T00:00:00.000Z\r\nSF_TOKEN='${T}'\r\n`);
  assert.equal(heldOrderTime(once, 'SF_TOKEN'), '2026-11-02T00:00:00.000Z');
  const twice = stampOrder(once, 'SF_TOKEN', '2026-11-03T00:00:00.000Z');
  assert.equal(twice, once.replace('2026-11-02', '2026-11-03'), 'replaced in place, CRLF kept');
  assert.equal(heldOrderTime('SF_TOKEN=x\n', 'SF_TOKEN'), null);
  assert.equal(heldOrderTime(twice, 'OTHER'), null);
});
