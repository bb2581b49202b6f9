import { compile } from 'html-to-text';

// html-to-text walks the tree recursively: hostile nesting would overflow the stack. Real
// token emails nest a dozen levels; mailparser bounds its own conversion the same way.
const MAX_HTML_DEPTH = 100;

// Compiling the selectors costs more than converting a token email: done once, on first use.
let converter: ((html: string) => string) | null = null;

function render(html: string): string {
  converter ??= compile({
    wordwrap: false,
    limits: { maxDepth: MAX_HTML_DEPTH },
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'table', format: 'dataTable' },
      ...(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'] as const).map((h) => ({ selector: h, format: 'heading', options: { uppercase: false } })),
      { selector: 'th', format: 'block' },
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
