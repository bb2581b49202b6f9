import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';

export interface TestKey {
  domain: string;
  selector: string;
  privateKey: string;
  /** The line a --dkim-keys file holds for this key. */
  keyLine: string;
}

/** A fresh RSA key for a domain, made inside the test run: no key material is committed. */
export function makeKey(domain: string, selector = 'sf1'): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return { domain, selector, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), keyLine: `${selector}._domainkey.${domain} v=DKIM1; k=rsa; p=${p}` };
}

/** The message with a DKIM-Signature by `key` prepended, as a sending server would add it. */
export async function sign(raw: string, key: TestKey, options: { maxBodyLength?: number; signTime?: Date } = {}): Promise<string> {
  // The signer reads signatureData (as its README shows); its type declaration also wants the
  // same fields at the top level, so both are given.
  const data = { signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey, canonicalization: 'relaxed/relaxed', ...options };
  // t= is the signing time (mailauth's default: now), as Salesforce's own signatures carry it.
  const { signatures, errors } = await dkimSign(Buffer.from(raw), { ...data, signatureData: [data], ...(options.signTime ? { signTime: options.signTime } : {}) });
  if (!signatures) throw new Error('mailauth produced no signature');
  if (errors?.length) throw new Error(`mailauth could not sign: ${String(errors[0])}`);
  return signatures + raw;
}

/** A token email in Salesforce's template, with CRLF line ends as on the wire. */
export function tokenEmail(o: { from: string; username: string; token: string; date: string; subject?: string; extraHeaders?: string; quote?: boolean }): string {
  const body = [`Username: ${o.username}`, `Security token (case-sensitive): ${o.token}`, '', 'For more information on using your security token, see the Salesforce Help.'];
  const text = o.quote ? ['Forwarding the new token.', '', '---------- Forwarded message ---------', ...body.map((l) => `> ${l}`)] : body;
  return (
    `${o.extraHeaders ?? ''}From: ${o.from}\r\nTo: ${o.username}\r\nSubject: ${o.subject ?? 'Your new Salesforce security token'}\r\nDate: ${o.date}\r\n` +
    `Message-ID: <${Math.random().toString(36).slice(2)}@test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text.join('\r\n')}\r\n`
  );
}
