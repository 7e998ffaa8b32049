// The committed bundles (dist/<entry>/index.js, what action.yml files run): each starts under Node —
// an action with no inputs fails on a missing required input, the CLI prints its usage — and dist/ is
// exactly what `npm run build` makes from the current source. The rebuild is slow (ncc, one bundle per
// entry), so a passing comparison is remembered in tmp/dist-check under a hash of everything it
// depends on; CI, or DIST_CHECK_REBUILD=1, always rebuilds.
import { describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { ACTION_NAMES, inputsOf, type ActionName } from '../../src/action/input-table.js';
import { REPO_ROOT } from '../support/paths.js';

const DIST = join(REPO_ROOT, 'dist');
const ENTRIES = readdirSync(join(REPO_ROOT, 'src', 'entrypoints'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => basename(file, '.ts'))
  .sort();
/** What the bundles are made from; dist/ itself is in the key too, so a hand edit is caught. */
const BUILD_INPUTS = [
  'src',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'scripts/build.mjs',
  'dist',
];

/** Every file under `dir`, as sorted paths relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** How `actual` differs from `expected`, file by file, byte for byte (empty when they are the same). */
function treeDifferences(expected: string, actual: string): string[] {
  const want = filesUnder(expected);
  const have = new Set(filesUnder(actual));
  const differences: string[] = [];
  for (const file of want) {
    if (!have.has(file)) differences.push(`${file}: missing`);
    else if (!readFileSync(join(expected, file)).equals(readFileSync(join(actual, file)))) {
      differences.push(`${file}: differs`);
    }
    have.delete(file);
  }
  for (const file of have) differences.push(`${file}: not built from the source (left over?)`);
  return differences;
}

function inputsHash(): string {
  const hash = createHash('sha256');
  for (const input of BUILD_INPUTS) {
    const path = join(REPO_ROOT, input);
    if (!existsSync(path)) continue;
    const files = statSync(path).isDirectory() ? filesUnder(path).map((file) => join(input, file)) : [input];
    for (const file of files) {
      hash.update(`${file}\0`);
      hash.update(readFileSync(join(REPO_ROOT, file)));
      hash.update('\0');
    }
  }
  return hash.digest('hex');
}

function build(outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join('scripts', 'build.mjs')], {
      cwd: REPO_ROOT,
      env: { ...process.env, BUILD_OUT_DIR: outDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`npm run build (into ${outDir}) failed (${code}): ${stderr}`)),
    );
  });
}

/** The environment of a run outside any workflow: no inputs, no GITHUB_* context or runner files. */
function bareEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(INPUT_|GITHUB_|RUNNER_|ACTIONS_|STATE_)/.test(name)),
  );
}

function runBundle(entry: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const cwd = mkdtempSync(join(tmpdir(), 'dist-bundle-'));
  try {
    const result = spawnSync(process.execPath, [join(DIST, entry, 'index.js'), ...args], {
      cwd,
      env: bareEnv(),
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

describe('dist bundles', () => {
  test('there is one bundle per entrypoint', () => {
    expect(readdirSync(DIST).sort()).toEqual(ENTRIES);
    for (const entry of ENTRIES) expect(existsSync(join(DIST, entry, 'index.js'))).toBe(true);
  });

  // ncc copies files that code seems to read by a computed path (e.g. every Dockerfile under the
  // build folder, the e2e engine's snapshots included): a bundle holds its code and licenses only.
  test.each(ENTRIES)('dist/%s holds no copied assets', (entry) => {
    const stray = filesUnder(join(DIST, entry)).filter(
      (file) => !/^(\d+\.)?index\.js$|^licenses\.txt$|^package\.json$|^xdg-open$/.test(file),
    );
    expect(stray).toEqual([]);
  });

  const actions = ENTRIES.filter((entry) => ACTION_NAMES.includes(entry as ActionName)) as ActionName[];
  test.each(actions)('dist/%s/index.js starts and fails on a missing required input', (action) => {
    const run = runBundle(action, []);
    const names = inputsOf(action).map((input) => input.name);
    const named = run.stdout
      .split('\n')
      .map((line) => /^::error title=Invalid input::([\w-]+): /.exec(line)?.[1])
      .filter((name) => name !== undefined);
    expect(run.stdout).toMatch(/^::error title=Invalid input::/m);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 1, stderr: '' });
    for (const name of named) expect(names).toContain(name);
    expect(run.stdout).toMatch(/^::error::/m); // the step fails once, at the top
  });

  test('dist/cli/index.js starts and prints its usage with --help', () => {
    const run = runBundle('cli', ['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: ml-to-iot-edge /);
  });

  test(
    'dist/ is what npm run build makes from the current source',
    async () => {
      const key = inputsHash();
      const remembered = join(REPO_ROOT, 'tmp', 'dist-check', key);
      const rebuild = Boolean(process.env.CI) || process.env.DIST_CHECK_REBUILD === '1';
      if (!rebuild && existsSync(remembered)) return; // passed before on exactly these files
      const outDir = mkdtempSync(join(tmpdir(), 'dist-check-'));
      try {
        await build(outDir);
        const differences = treeDifferences(outDir, DIST);
        if (differences.length) {
          throw new Error(
            `dist/ is not what \`npm run build\` makes from the current source; run it and commit dist/:\n` +
              differences.map((line) => `  dist/${line}`).join('\n'),
          );
        }
        // Remember the pass (only the latest: the key of an older tree is of no more use).
        rmSync(join(REPO_ROOT, 'tmp', 'dist-check'), { recursive: true, force: true });
        mkdirSync(join(REPO_ROOT, 'tmp', 'dist-check'), { recursive: true });
        writeFileSync(remembered, `${new Date().toISOString()}\n`);
      } finally {
        rmSync(outDir, { recursive: true, force: true });
      }
    },
    15 * 60_000,
  );

  test('a difference names the files', () => {
    const root = mkdtempSync(join(tmpdir(), 'dist-compare-'));
    try {
      const tree = (name: string, files: Record<string, string>) => {
        for (const [file, content] of Object.entries(files)) {
          mkdirSync(join(root, name, file, '..'), { recursive: true });
          writeFileSync(join(root, name, file), content);
        }
        return join(root, name);
      };
      const built = tree('built', {
        'cli/index.js': 'a',
        'cli/licenses.txt': 'MIT',
        'rollout/index.js': 'r',
      });
      const same = tree('same', { 'cli/index.js': 'a', 'cli/licenses.txt': 'MIT', 'rollout/index.js': 'r' });
      const stale = tree('stale', { 'cli/index.js': 'b', 'cli/licenses.txt': 'MIT', 'old/index.js': 'o' });
      expect(treeDifferences(built, same)).toEqual([]);
      expect(treeDifferences(built, stale)).toEqual([
        'cli/index.js: differs',
        'rollout/index.js: missing',
        'old/index.js: not built from the source (left over?)',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
