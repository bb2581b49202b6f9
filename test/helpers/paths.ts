import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

// Tests run from dist/test/…, so the repository is three levels up from this compiled file.
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** The bundled command, as `npm install` puts it on the PATH. */
export const CLI = join(REPO, 'dist', 'bin', 'cli.js');
export const FIXTURES = join(REPO, 'fixtures');
