import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../src/files/atomic-file.js';
import { tempDir } from '../../helpers/tmp.js';

test('a write that fails leaves no temporary copy behind', async () => {
  const dir = await tempDir();
  // A folder where the file should be: the final rename fails, as a full disk would fail a write.
  await mkdir(join(dir, 'tokens.json'));
  await writeFile(join(dir, 'tokens.json', 'keep'), 'x');
  await assert.rejects(writeFileAtomic(join(dir, 'tokens.json'), '{"secret": true}'));
  assert.deepEqual(await readdir(dir), ['tokens.json']);
});
