import { fingerprint } from './fingerprint.js';

// Shorter strings would match ordinary words; no token (20+) or sensible password is this short.
const MIN_REDACTABLE_LENGTH = 6;

/**
 * The secrets one run holds, and the scrubbing every line leaving the process passes through: logs,
 * records on stdout, notifications, a helper's environment. It belongs to the run (built with its
 * configuration, as a logger takes its redaction when it is made), so a secret is added where it
 * is read: reading a secret reference needs a Redactor to read it into. The code never logs a
 * secret on purpose; this catches the mistake nobody saw (a library error quoting its input).
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    if (secret !== undefined && secret.length >= MIN_REDACTABLE_LENGTH) this.secrets.add(secret);
  }

  /** Whether this exact value is a secret the run holds (a password, a token). */
  has(value: string): boolean {
    return this.secrets.has(value);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(`[redacted ${fingerprint(secret)}]`);
    }
    return out;
  }
}
