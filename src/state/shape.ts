/**
 * Small checks that read untyped JSON into typed values, naming the first field that is wrong.
 * State and destination files are read through these, so a hand-edited or foreign file is a
 * clear configuration error instead of a run that misbehaves.
 */
export type Check<T> = (value: unknown, path: string) => T;

export class ShapeError extends Error {}

function fail(path: string, expected: string): never {
  throw new ShapeError(`${path || 'the file'}: expected ${expected}`);
}

export const string: Check<string> = (v, path) => (typeof v === 'string' ? v : fail(path, 'a string'));
export const number: Check<number> = (v, path) => (typeof v === 'number' && Number.isFinite(v) ? v : fail(path, 'a number'));
export const stringOrNull: Check<string | null> = (v, path) => (v === null ? null : string(v, path));

export function literal<T extends string | number>(expected: T): Check<T> {
  return (v, path) => (v === expected ? expected : fail(path, JSON.stringify(expected)));
}

export function optional<T>(check: Check<T>): Check<T | undefined> {
  return (v, path) => (v === undefined ? undefined : check(v, path));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function record<T>(check: Check<T>): Check<Record<string, T>> {
  return (v, path) => {
    if (!isPlainObject(v)) fail(path, 'an object');
    return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, check(item, `${path}.${k}`)]));
  };
}

export function array<T>(check: Check<T>): Check<T[]> {
  return (v, path) => (Array.isArray(v) ? v.map((item, i) => check(item, `${path}[${i}]`)) : fail(path, 'a list'));
}

/** An object with exactly these fields checked; fields the checks do not name are dropped. */
export function object<T>(fields: { [K in keyof T]-?: Check<T[K]> }): Check<T> {
  return (v, path) => {
    if (!isPlainObject(v)) fail(path, 'an object');
    const out: Partial<T> = {};
    for (const key of Object.keys(fields) as Array<keyof T & string>) {
      // Object.keys of a mapped object yields its keys; TypeScript widens them to string.
      const value = fields[key](v[key], path ? `${path}.${key}` : key);
      if (value !== undefined) out[key] = value;
    }
    // Every field was checked above (optional ones may be absent, as their type allows).
    return out as T;
  };
}
