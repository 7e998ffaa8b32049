// What a model path holds, walked once in the order the Azure ML SDK hashes it: the file itself, or a
// folder's entries sorted by lower-cased name, skipping what the ignore file excludes, recursing into
// sub-folders. The walk yields the hash steps (entry names and files, in order) and the files to
// upload, so the hash and the upload can never disagree about the content.
import { readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadIgnoreRules, type IgnoreRules } from './ignore-file.js';

export interface ModelFile {
  absolutePath: string;
  /** Path below the model folder with `/` separators; for a single-file model, its name. */
  relativePath: string;
  size: number;
}

/** One step of the content hash: an entry name, or a file's bytes. */
export type HashStep = { kind: 'name'; name: string } | { kind: 'file'; file: ModelFile };

export interface ModelScan {
  /** The absolute model path. */
  path: string;
  kind: 'file' | 'folder';
  /** The last path segment: the blob folder (or file) name below `LocalUpload/<hash>/`. */
  baseName: string;
  steps: HashStep[];
  files: ModelFile[];
  totalBytes: number;
  /** The ignore file applied (`.amlignore` or `.gitignore`), if any. */
  ignoreFile?: string;
  /** Relative paths the ignore file left out (entries at their highest excluded level). */
  ignored: string[];
}

export class ModelPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelPathError';
  }
}

/** Orders as Python sorts `str(path).lower()`: by code point of the lower-cased name. */
export function compareAsSdk(a: string, b: string): number {
  // UTF-8 byte order is code point order (JavaScript's `<` compares UTF-16 units instead).
  const byLower = Buffer.compare(Buffer.from(a.toLowerCase()), Buffer.from(b.toLowerCase()));
  // Names equal but for case: the SDK keeps the directory listing's order; fix one for stability.
  return byLower || Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Follows symbolic links, as the SDK hashes and uploads what a link points to. */
function statFollowingLinks(path: string): Stats {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ModelPathError(`'${path}' is a symbolic link to nothing`);
    throw error;
  }
}

interface Walk {
  rules: IgnoreRules;
  steps: HashStep[];
  files: ModelFile[];
  ignored: string[];
  /** Real paths of the folders being walked: a link back to one of them would never end. */
  open: Set<string>;
}

function walkFolder(walk: Walk, folder: string, prefix: string): void {
  const real = realpathSync(folder);
  if (walk.open.has(real)) throw new ModelPathError(`'${folder}' links back to a folder that contains it`);
  walk.open.add(real);
  const names = readdirSync(folder).sort(compareAsSdk);
  for (const name of names) {
    const relativePath = prefix + name;
    if (walk.rules.excludes(relativePath)) {
      walk.ignored.push(relativePath);
      continue;
    }
    const absolutePath = join(folder, name);
    walk.steps.push({ kind: 'name', name });
    const stats = statFollowingLinks(absolutePath);
    if (stats.isFile()) {
      const file = { absolutePath, relativePath, size: stats.size };
      walk.steps.push({ kind: 'file', file });
      walk.files.push(file);
    } else if (stats.isDirectory()) {
      walkFolder(walk, absolutePath, `${relativePath}/`);
    }
    // Sockets, FIFOs and devices: the SDK hashes the name only and uploads nothing; so do we.
  }
  walk.open.delete(real);
}

/** Walks `modelPath` (absolute or relative to `baseDir`). Throws ModelPathError when it is missing. */
export function scanModel(modelPath: string, baseDir = process.cwd()): ModelScan {
  const path = resolve(baseDir, modelPath);
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch {
    throw new ModelPathError(`'${modelPath}' does not exist (resolved to ${path})`);
  }
  const baseName = basename(path);
  if (stats.isFile()) {
    const file = { absolutePath: path, relativePath: baseName, size: stats.size };
    return {
      path,
      kind: 'file',
      baseName,
      steps: [{ kind: 'file', file }],
      files: [file],
      totalBytes: stats.size,
      ignored: [],
    };
  }
  if (!stats.isDirectory()) throw new ModelPathError(`'${modelPath}' is neither a file nor a folder`);
  const rules = loadIgnoreRules(path);
  const walk: Walk = { rules, steps: [], files: [], ignored: [], open: new Set() };
  walkFolder(walk, path, '');
  return {
    path,
    kind: 'folder',
    baseName,
    steps: walk.steps,
    files: walk.files,
    totalBytes: walk.files.reduce((sum, file) => sum + file.size, 0),
    ignoreFile: rules.file,
    ignored: walk.ignored,
  };
}
