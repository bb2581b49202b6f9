import { simpleParser, type AddressObject } from 'mailparser';
import { htmlToText } from './html.js';
import type { ParsedEmail } from './types.js';

// How much of the start of a message is inspected to tell mail from a binary file.
const SNIFF_BYTES = 8192;

type ParseResult =
  | { ok: true; email: ParsedEmail }
  | { ok: false; outcome: 'ignored' | 'rejected'; reason: 'empty' | 'not-an-email' | 'too-large' | 'unparseable' };

/** A cheap look at the bytes, before anything is parsed: is this worth handing to mailparser? */
export function precheck(raw: Buffer, maxBytes: number): ParseResult | null {
  if (raw.length > maxBytes) return { ok: false, outcome: 'rejected', reason: 'too-large' };
  if (raw.toString('latin1').trim() === '') return { ok: false, outcome: 'ignored', reason: 'empty' };
  const head = raw.subarray(0, SNIFF_BYTES);
  // RFC 5322 mail is text that opens with a header field; a NUL byte or a first line that is
  // not "Name: value" (or an mbox "From " line) means an image, an archive, a PDF.
  const firstLine = head.toString('latin1').split(/\r?\n/, 1)[0] ?? '';
  if (head.includes(0) || !/^(?:[!-9;-~]+:|From )/.test(firstLine)) {
    return { ok: false, outcome: 'ignored', reason: 'not-an-email' };
  }
  return null;
}

/** The one sender; none when the From field names several, since clients disagree on which to show. */
function soleAddress(from: AddressObject | undefined): ParsedEmail['from'] {
  const entry = from?.value.length === 1 ? from.value[0] : undefined;
  if (!entry?.address) return null;
  return { address: entry.address.toLowerCase(), name: entry.name ?? '' };
}

export async function parseEmail(raw: Buffer, maxBytes: number): Promise<ParseResult> {
  const refused = precheck(raw, maxBytes);
  if (refused) return refused;
  let parsed;
  try {
    parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  } catch {
    return { ok: false, outcome: 'ignored', reason: 'unparseable' };
  }
  const html = typeof parsed.html === 'string' ? parsed.html : '';
  const plain = parsed.text?.trim() ? parsed.text : '';
  return {
    ok: true,
    email: {
      from: soleAddress(parsed.from),
      subject: parsed.subject ?? '',
      date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null,
      messageId: parsed.messageId ?? null,
      text: plain || (html ? htmlToText(html) : ''),
      html: plain && html ? html : null,
      headerLines: parsed.headerLines,
    },
  };
}
