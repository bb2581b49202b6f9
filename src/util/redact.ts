import { fingerprint } from './fingerprint.js';

// Every secret the process learns is registered here, so that the logger can scrub it from any
// line as a last line of defence. The code never logs a secret on purpose; this catches the
// mistake nobody saw (a library error message that quotes its input, say).
const secrets = new Set<string>();

// Shorter strings would match ordinary words; no token (20+) or sensible password is this short.
const MIN_REDACTABLE_LENGTH = 6;

export function registerSecret(secret: string | undefined): void {
  if (secret !== undefined && secret.length >= MIN_REDACTABLE_LENGTH) secrets.add(secret);
}

/** Whether this exact value is a secret the process holds (a password, a token). */
export function isSecret(value: string): boolean {
  return secrets.has(value);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(`[redacted ${fingerprint(secret)}]`);
  }
  return out;
}
