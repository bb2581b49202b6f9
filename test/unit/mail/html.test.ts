import { test } from 'node:test';
import assert from 'node:assert/strict';
import { htmlToText } from '../../../src/mail/html.js';

test('text a reader never sees is not rendered: display:none, visibility:hidden, zero size or opacity, mso-hide, hidden', () => {
  const hidden = [
    '<div style="display:none">decoy-1</div>',
    '<span style="DISPLAY: NONE;">decoy-2</span>',
    '<p style="visibility:hidden">decoy-3</p>',
    '<span style="font-size:0px;line-height:0">decoy-4</span>',
    '<span style="color:#fff;opacity:0">decoy-5</span>',
    '<div style="mso-hide:all">decoy-6</div>',
    '<div hidden>decoy-7</div>',
  ].join('');
  const text = htmlToText(`<html><head><title>decoy-title</title></head><body>${hidden}<p>Username: seen@acme.com</p><p style="opacity:0.9">kept</p></body></html>`);
  assert.doesNotMatch(text, /decoy/);
  assert.match(text, /Username: seen@acme\.com/);
  assert.match(text, /kept/, 'only fully transparent text is hidden');
});

test('a zero-width space inside a word stays a character, for the extractor to drop: it never splits a token', () => {
  assert.equal(htmlToText('<p><strong>aB3dE5fG\u200b7hJ9kL1mN2pQ4rS6</strong></p>'), 'aB3dE5fG\u200b7hJ9kL1mN2pQ4rS6');
});
