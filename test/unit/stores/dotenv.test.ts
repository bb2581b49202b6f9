import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setVariable } from '../../../src/stores/dotenv.js';

const T = 'aB3dE5fG7hJ9kL1mN2pQ4rS6';

test('a .env keeps every other byte: comments, order, quoting, CRLF and a missing final newline', () => {
  assert.equal(setVariable('# c\r\nA="x y"\r\nSF_TOKEN=old\r\nB=2', 'SF_TOKEN', T), `# c\r\nA="x y"\r\nSF_TOKEN='${T}'\r\nB=2`);
  assert.equal(setVariable('  export SF_TOKEN = "old" # note\n', 'SF_TOKEN', T), `  export SF_TOKEN='${T}'\n`);
  assert.equal(setVariable('A=1', 'SF_TOKEN', T), `A=1\nSF_TOKEN='${T}'\n`);
  assert.equal(setVariable('', 'SF_TOKEN', T), `SF_TOKEN='${T}'\n`);
  assert.equal(setVariable('SF_TOKEN=a\nSF_TOKEN_OLD=b\nSF_TOKEN=c\n', 'SF_TOKEN', T), `SF_TOKEN='${T}'\nSF_TOKEN_OLD=b\nSF_TOKEN='${T}'\n`, 'every assignment, and only that name');
});
