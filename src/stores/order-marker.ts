/**
 * The comment line a text destination keeps above the value it holds, saying which email (or
 * issue) that value came from: `# sftoken: <key> as of <order time>`. Readers of
 * .env and .properties files skip `#` lines; sftoken reads it to refuse going back in time.
 */

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function marker(key: string): RegExp {
  return new RegExp(`^# sftoken: ${escapeRegExp(key)} as of (\\S+)[ \\t]*\\r?$`, 'm');
}

/** The order time of the value the file holds, as its marker says; null for a file sftoken never wrote. */
export function heldOrderTime(content: string, key: string): string | null {
  return marker(key).exec(content)?.[1] ?? null;
}

/**
 * The marker set to `orderTime`: replaced where it is, else put on its own line just above the
 * key's first assignment (`KEY=`, `export KEY=`, `key: `); a file without the key is left as it is.
 */
export function stampOrder(content: string, key: string, orderTime: string): string {
  const line = `# sftoken: ${key} as of ${orderTime}`;
  const existing = marker(key);
  if (existing.test(content)) return content.replace(existing, (m) => `${line}${m.endsWith('\r') ? '\r' : ''}`);
  const assignment = new RegExp(`^[ \\t\\f]*(?:export[ \\t]+)?${escapeRegExp(key)}[ \\t\\f]*[=:]`, 'm');
  const at = assignment.exec(content)?.index;
  const ending = content.includes('\r\n') ? '\r\n' : '\n';
  return at === undefined ? content : `${content.slice(0, at)}${line}${ending}${content.slice(at)}`;
}
