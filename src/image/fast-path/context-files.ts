// The build context as the environment image sees it: every entry Docker would send, except `.git`
// and the model path; and a staged copy of it where the model is an empty placeholder, so the
// Dockerfile's COPY of the model still works while the environment is built.
import { constants } from 'node:fs';
import {
  copyFile,
  link,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOTHING_IGNORED, parseDockerignore, type IgnoreMatcher } from './dockerignore.js';

export type ContextEntry =
  | { kind: 'file'; path: string; mode: number; size: number }
  | { kind: 'folder'; path: string }
  | { kind: 'link'; path: string; target: string };

/** Docker reads `<Dockerfile>.dockerignore` first, then the context's `.dockerignore`. */
export async function ignoreMatcher(context: string, dockerfile?: string): Promise<IgnoreMatcher> {
  for (const file of [dockerfile && `${dockerfile}.dockerignore`, join(context, '.dockerignore')]) {
    if (!file) continue;
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) return parseDockerignore(text) ?? NOTHING_IGNORED;
  }
  return NOTHING_IGNORED;
}

function byteOrder(a: ContextEntry, b: ContextEntry): number {
  return Buffer.compare(Buffer.from(a.path), Buffer.from(b.path));
}

/** Entries below `context` (relative `/` paths, byte-sorted), leaving out `.git`, the model and ignored paths. */
export async function contextEntries(
  context: string,
  model: string,
  ignore: IgnoreMatcher,
): Promise<ContextEntry[]> {
  const entries: ContextEntry[] = [];
  async function walk(folder: string, prefix: string): Promise<void> {
    const names = await readdir(folder, { withFileTypes: true });
    await Promise.all(
      names.map(async (dirent) => {
        const path = prefix + dirent.name;
        if (path === '.git' || path === model) return;
        const excluded = ignore.excludes(path);
        const absolute = join(folder, dirent.name);
        if (dirent.isDirectory()) {
          if (!excluded) entries.push({ kind: 'folder', path });
          // An exception may re-include something below an excluded folder.
          if (!excluded || ignore.hasExceptions) await walk(absolute, `${path}/`);
        } else if (excluded) {
          return;
        } else if (dirent.isSymbolicLink()) {
          entries.push({ kind: 'link', path, target: await readlink(absolute) });
        } else if (dirent.isFile()) {
          const stats = await stat(absolute);
          entries.push({ kind: 'file', path, mode: stats.mode & 0o777, size: stats.size });
        }
      }),
    );
  }
  await walk(context, '');
  return entries.sort(byteOrder);
}

/**
 * A copy of the context for the environment build: files hard-linked where the file system allows
 * (else copied), the `.dockerignore` files kept, and the model replaced by an empty file or folder.
 */
export async function stageContext(
  context: string,
  entries: readonly ContextEntry[],
  model: { path: string; kind: 'file' | 'folder' },
): Promise<string> {
  const staged = await mkdtemp(join(tmpdir(), 'ml-to-iot-edge-environment-'));
  // Parents first: entries are sorted, so a folder comes before what it holds.
  for (const entry of entries)
    if (entry.kind === 'folder') await mkdir(join(staged, entry.path), { recursive: true });
  const parentOf = (path: string) => join(staged, path, '..');
  await Promise.all(
    entries.map(async (entry) => {
      const to = join(staged, entry.path);
      if (entry.kind === 'link') {
        await mkdir(parentOf(entry.path), { recursive: true });
        await symlink(entry.target, to);
      } else if (entry.kind === 'file') {
        await mkdir(parentOf(entry.path), { recursive: true });
        await link(join(context, entry.path), to).catch(() =>
          copyFile(join(context, entry.path), to, constants.COPYFILE_FICLONE),
        );
      }
    }),
  );
  for (const name of ['.dockerignore']) {
    await copyFile(join(context, name), join(staged, name)).catch(() => undefined);
  }
  await mkdir(parentOf(model.path), { recursive: true });
  if (model.kind === 'folder') await mkdir(join(staged, model.path), { recursive: true });
  else await writeFile(join(staged, model.path), '');
  return staged;
}
