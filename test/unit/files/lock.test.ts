import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withFileLock } from '../../../src/files/lock.js';
import { tempDir } from '../../helpers/tmp.js';

test('a lock left by a process that is gone is taken over', async () => {
  const dir = await tempDir();
  const path = join(dir, 'state.json');
  await writeFile(`${path}.lock`, '999999999');
  assert.equal(await withFileLock(path, async () => 'ran'), 'ran');
  assert.deepEqual(await readdir(dir), [], 'the lock is gone afterwards');
});

test('writers under the lock never interleave', async () => {
  const path = join(await tempDir(), 'counter.json');
  await writeFile(path, '0');
  await Promise.all(
    Array.from({ length: 20 }, () =>
      withFileLock(path, async () => {
        const n = Number(await readFile(path, 'utf8'));
        await new Promise((resolve) => setTimeout(resolve, 1));
        await writeFile(path, String(n + 1));
      }),
    ),
  );
  assert.equal(await readFile(path, 'utf8'), '20');
});

test('an empty lock left by a process killed between creating and filling it is taken over', async () => {
  const dir = await tempDir();
  const path = join(dir, 'state.json');
  await writeFile(`${path}.lock`, '');
  const old = new Date(Date.now() - 10_000);
  await utimes(`${path}.lock`, old, old);
  assert.equal(await withFileLock(path, async () => 'ran'), 'ran');
});
