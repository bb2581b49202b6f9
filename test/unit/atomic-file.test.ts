import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/files/atomic-file.js';
import { withFileLock } from '../../src/files/lock.js';
import { backoffAtLeastMs } from '../../src/util/backoff.js';
import { tempDir } from '../helpers/tmp.js';

test('a write that fails leaves no temporary copy behind', async () => {
  const dir = await tempDir();
  // A folder where the file should be: the final rename fails, as a full disk would fail a write.
  await mkdir(join(dir, 'tokens.json'));
  await writeFile(join(dir, 'tokens.json', 'keep'), 'x');
  await assert.rejects(writeFileAtomic(join(dir, 'tokens.json'), '{"secret": true}'));
  assert.deepEqual(await readdir(dir), ['tokens.json']);
});

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

test('a refused login waits at least the base, never more than the cap', () => {
  assert.equal(
    backoffAtLeastMs(0, 60_000, 900_000, () => 0),
    60_000,
  );
  assert.equal(
    backoffAtLeastMs(0, 60_000, 900_000, () => 1),
    75_000,
  );
  assert.equal(
    backoffAtLeastMs(1, 60_000, 900_000, () => 0),
    120_000,
  );
  assert.equal(
    backoffAtLeastMs(10, 60_000, 900_000, () => 1),
    900_000,
  );
});

test('an empty lock left by a process killed between creating and filling it is taken over', async () => {
  const dir = await tempDir();
  const path = join(dir, 'state.json');
  await writeFile(`${path}.lock`, '');
  const old = new Date(Date.now() - 10_000);
  await utimes(`${path}.lock`, old, old);
  assert.equal(await withFileLock(path, async () => 'ran'), 'ran');
});
