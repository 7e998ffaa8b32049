// `npm run build`: one ncc bundle per entrypoint into dist/<entry>/index.js (ESM, since the
// package is "type": "module"), each with its dependencies' licenses beside it; BUILD_OUT_DIR builds
// elsewhere (the test that checks dist/ is current builds into a temporary folder). Type checking is
// `npm run lint`'s job (tsc), so a bundle never depends on unrelated files compiling.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

const only = process.argv.slice(2);
const entries = readdirSync('src/entrypoints')
  .filter((file) => file.endsWith('.ts'))
  .map((file) => basename(file, '.ts'))
  .filter((entry) => only.length === 0 || only.includes(entry));
const outDir = process.env.BUILD_OUT_DIR || 'dist';
const ncc = join('node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');

for (const entry of entries) {
  rmSync(join(outDir, entry), { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [
      ncc,
      'build',
      join('src', 'entrypoints', `${entry}.ts`),
      '-o',
      join(outDir, entry),
      '--license',
      'licenses.txt',
      '--quiet',
      '--target',
      'es2022',
    ],
    { stdio: 'inherit' },
  );
  console.log(`built ${join(outDir, entry, 'index.js')}`);
}
