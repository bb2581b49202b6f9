import { execFileSync } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';

// Data Loader's encrypted values, read back independently of the code that wrote them.

/** Data Loader's text form back to bytes: two hex digits a byte, 128–255 standing for −1…−128. */
function dataLoaderBytes(hex: string): Buffer {
  const out = Buffer.alloc(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const e = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    out[i] = e < 0x80 ? e : 383 - e;
  }
  return out;
}

export function decryptDataLoader(hex: string, key: Buffer): string {
  const bytes = dataLoaderBytes(hex);
  const decipher = createDecipheriv('aes-128-cbc', key.subarray(0, 16), bytes.subarray(0, 16));
  return Buffer.concat([decipher.update(bytes.subarray(16)), decipher.final()]).toString('utf8');
}

/** The same with openssl, so the check does not rest on node:crypto alone. */
export function decryptWithOpenssl(hex: string, key: Buffer): string {
  const bytes = dataLoaderBytes(hex);
  return execFileSync('openssl', ['enc', '-d', '-aes-128-cbc', '-K', key.subarray(0, 16).toString('hex'), '-iv', bytes.subarray(0, 16).toString('hex')], { input: bytes.subarray(16) }).toString(
    'utf8',
  );
}
