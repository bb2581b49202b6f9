// npm runs this on `npm install` in a clone, on `npm pack`, and on `npm install -g .` from a
// clone. The last installs no devDependencies, yet the build needs TypeScript and esbuild, so
// they are installed here first when missing. The bundle it builds holds all runtime code but
// keytar, so the installed command needs nothing else.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function npm(args, env = {}) {
  const r = spawnSync('npm', args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!process.env.SFTOKEN_PREPARING) {
  if (!existsSync('node_modules/.bin/tsc') || !existsSync('node_modules/.bin/esbuild')) {
    // Not global: a global install's npm would otherwise install these into the global prefix.
    npm(['install', '--include=dev', '--no-audit', '--no-fund'], { SFTOKEN_PREPARING: '1', npm_config_global: 'false' });
  }
  npm(['run', 'build']);
}
