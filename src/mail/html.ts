import { compile } from 'html-to-text';

// html-to-text walks the tree recursively: hostile nesting would overflow the stack. Real
// token emails nest a dozen levels; mailparser bounds its own conversion the same way.
const MAX_HTML_DEPTH = 100;

// Text a reader never sees (a hidden preheader, zero-size or transparent text, Outlook's
// mso-hide) is not rendered: a hidden decoy line must not change what is read. Attribute
// selectors cannot parse CSS, so each common way of writing it is listed, in any case.
const HIDDEN_STYLES = [
  'display:none',
  'display: none',
  'visibility:hidden',
  'visibility: hidden',
  'font-size:0;',
  'font-size: 0;',
  'font-size:0px',
  'font-size: 0px',
  'max-height:0;',
  'max-height: 0;',
  'max-height:0px',
  'max-height: 0px',
  'opacity:0;',
  'opacity: 0;',
  'mso-hide:all',
  'mso-hide: all',
];
const HIDDEN = [
  ...HIDDEN_STYLES.map((s) => `[style*="${s}" i]`),
  // The same at the very end of a style, where no semicolon follows.
  ...['font-size:0', 'font-size: 0', 'max-height:0', 'max-height: 0', 'opacity:0', 'opacity: 0'].map((s) => `[style$="${s}" i]`),
  '[hidden]',
];

// Compiling the selectors costs more than converting a token email: done once, on first use.
let converter: ((html: string) => string) | null = null;

function render(html: string): string {
  converter ??= compile({
    wordwrap: false,
    // Not U+200B, which html-to-text counts as a space by default: one inside a token (gateways
    // and React templates put them in long words) must be dropped later, not split the token.
    whitespaceCharacters: ' \t\r\n\f',
    limits: { maxDepth: MAX_HTML_DEPTH },
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'table', format: 'dataTable' },
      ...(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'] as const).map((h) => ({ selector: h, format: 'heading', options: { uppercase: false } })),
      { selector: 'th', format: 'block' },
      ...HIDDEN.map((selector) => ({ selector, format: 'skip' })),
    ],
  });
  return converter(html);
}

/** Renders HTML the way a person reads it: rows on one line, no link targets, headings as written. */
export function htmlToText(html: string): string {
  try {
    return render(html);
  } catch {
    return '';
  }
}
