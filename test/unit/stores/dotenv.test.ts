import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setVariable } from '../../../src/stores/dotenv.js';
import { heldOrderTime, stampOrder } from '../../../src/stores/order-marker.js';

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
  assert.equal(once, `A=1\r\n# sftoken: SF_TOKEN as of 2026-11-02T00:00:00.000Z\r\nSF_TOKEN='${T}'\r\n`);
  assert.equal(heldOrderTime(once, 'SF_TOKEN'), '2026-11-02T00:00:00.000Z');
  const twice = stampOrder(once, 'SF_TOKEN', '2026-11-03T00:00:00.000Z');
  assert.equal(twice, once.replace('2026-11-02', '2026-11-03'), 'replaced in place, CRLF kept');
  assert.equal(heldOrderTime('SF_TOKEN=x\n', 'SF_TOKEN'), null);
  assert.equal(heldOrderTime(twice, 'OTHER'), null);
});

test('a .properties key with dots gets the same marker, above its line, and nothing else is read as it', () => {
  const props = 'sfdc.username=etl@acme.com\nsfdc.password=abc\nsfdcXpassword=zzz\n';
  const once = stampOrder(props, 'sfdc.password', '2026-11-02T00:00:00.000Z');
  assert.equal(once, 'sfdc.username=etl@acme.com\n# sftoken: sfdc.password as of 2026-11-02T00:00:00.000Z\nsfdc.password=abc\nsfdcXpassword=zzz\n');
  assert.equal(heldOrderTime(once.replace('sfdc.password as of', 'sfdcXpassword as of'), 'sfdc.password'), null, 'the dot is a dot');
});
