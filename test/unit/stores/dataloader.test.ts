import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BARE_CONTEXT, parseDestination } from '../../../src/stores/index.js';
import { NewerHeld } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';

test("Data Loader's config.properties never goes back in time: a token from an older email than the one it holds is refused", async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'k.key'), randomBytes(16));
  const path = join(dir, 'config.properties');
  await writeFile(path, 'sfdc.username=etl@acme.com\n');
  const context = { ...BARE_CONTEXT, passwordFor: () => 'pw', passwordUsers: ['etl@acme.com'] };
  const store = await parseDestination(`dataloader:${path}?key=${join(dir, 'k.key')}`).open(context);
  const meta = (orderTime: string, n: string) => ({ fingerprint: `sha256:${n.repeat(12)}` as const, emailDate: orderTime, orderTime, verified: true });
  await store.set('etl@acme.com', 'TokenNew234567890123456789', meta('2026-11-02T00:00:00.000Z', '2'));
  const held = await readFile(path, 'utf8');
  await assert.rejects(store.set('etl@acme.com', 'TokenOld234567890123456789', meta('2026-11-01T00:00:00.000Z', '1')), NewerHeld);
  assert.equal(await readFile(path, 'utf8'), held, 'not a byte changed');
  await store.set('etl@acme.com', 'TokenNewer4567890123456789', meta('2026-11-03T00:00:00.000Z', '3'));
  assert.match(await readFile(path, 'utf8'), /^# sftoken: sfdc\.password as of 2026-11-03T00:00:00\.000Z$/m);
});
