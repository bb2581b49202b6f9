import { simpleParser, type AddressObject } from 'mailparser';
import { htmlToText } from './html.js';
import type { MailHead, ParsedEmail } from './types.js';

// How much of the start of a message is inspected to tell mail from a binary file.
const SNIFF_BYTES = 8192;

type Refusal = { ok: false; reason: 'empty' | 'not-an-email' | 'too-large' | 'unparseable' };
type ParseResult = { ok: true; email: ParsedEmail } | Refusal;

/** Whether the bytes are all whitespace, without copying a large message into a string. */
function isBlank(raw: Buffer): boolean {
  for (const byte of raw) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0b && byte !== 0x0c) return false;
  return true;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The message without a leading UTF-8 byte-order mark: a raw message pasted into an editor and
 * saved as UTF-8 starts with one, and is mail all the same. Every source's bytes pass here.
 */
export function withoutBom(raw: Buffer): Buffer {
  return raw.subarray(0, 3).equals(BOM) ? raw.subarray(3) : raw;
}

/** A cheap look at the bytes, before anything is parsed: is this worth handing to mailparser? */
export function precheck(raw: Buffer, maxBytes: number): Refusal | null {
  if (raw.length > maxBytes) return { ok: false, reason: 'too-large' };
  if (isBlank(raw)) return { ok: false, reason: 'empty' };
  const head = raw.subarray(0, SNIFF_BYTES);
  // RFC 5322 mail is text that opens with a header field; a NUL byte or a first line that is
  // not "Name: value" (or an mbox "From " line) means an image, an archive, a PDF.
  const firstLine = head.toString('latin1').split(/\r?\n/, 1)[0] ?? '';
  if (head.includes(0) || !/^(?:[!-9;-~]+:|From )/.test(firstLine)) {
    return { ok: false, reason: 'not-an-email' };
  }
  return null;
}

/** The one sender; none when the From field names several, since clients disagree on which to show. */
function soleAddress(from: AddressObject | undefined): ParsedEmail['from'] {
  const entry = from?.value.length === 1 ? from.value[0] : undefined;
  if (!entry?.address) return null;
  return { address: entry.address.toLowerCase(), name: entry.name ?? '' };
}

type ParsedHeaders = Pick<Awaited<ReturnType<typeof simpleParser>>, 'from' | 'subject' | 'date' | 'messageId' | 'headerLines'>;

function headOf(parsed: ParsedHeaders): MailHead {
  return {
    from: soleAddress(parsed.from),
    subject: parsed.subject ?? '',
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null,
    messageId: parsed.messageId ?? null,
    headerLines: parsed.headerLines,
  };
}

/** Where the header section ends: the first empty line, or the end of the message. */
function headerEnd(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const ends = [crlf < 0 ? -1 : crlf + 4, lf < 0 ? -1 : lf + 2].filter((n) => n >= 0);
  return ends.length ? Math.min(...ends) : raw.length;
}

/**
 * The header section alone. Parsing a 2 MiB body costs some 14 MB of short-lived memory; a
 * stranger's mail is classified and refused from its headers, and never costs that.
 */
export async function parseHead(raw: Buffer, maxBytes: number): Promise<{ ok: true; head: MailHead } | Refusal> {
  const refused = precheck(raw, maxBytes);
  if (refused) return refused;
  try {
    return { ok: true, head: headOf(await simpleParser(raw.subarray(0, headerEnd(raw)), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true })) };
  } catch {
    return { ok: false, reason: 'unparseable' };
  }
}

export async function parseEmail(raw: Buffer, maxBytes: number): Promise<ParseResult> {
  const refused = precheck(raw, maxBytes);
  if (refused) return refused;
  let parsed;
  try {
    parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  } catch {
    return { ok: false, reason: 'unparseable' };
  }
  const html = typeof parsed.html === 'string' ? parsed.html : '';
  const plain = parsed.text?.trim() ? parsed.text : '';
  return {
    ok: true,
    email: {
      ...headOf(parsed),
      text: plain || (html ? htmlToText(html) : ''),
      html: plain && html ? html : null,
    },
  };
}
