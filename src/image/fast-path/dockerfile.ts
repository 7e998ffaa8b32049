// Just enough of a Dockerfile parser to tell whether the model-layer fast path reproduces what a full
// build would: the final stage must copy the model path from the context in a COPY of its own, with
// no flags and nothing that writes layers after it. Anything this parser cannot be sure about is a
// reason to take the full path (a slow release is fine; a wrong image is not).
import { posix } from 'node:path';

export interface Instruction {
  /** Upper-cased: FROM, RUN, COPY, ... */
  keyword: string;
  /** `--name=value` flags before the arguments (a bare `--name` has value ''). */
  flags: Array<[string, string]>;
  /** Arguments: the JSON array's strings, or the shell form split at white space. */
  args: string[];
  /** 1-based line of the instruction's first line. */
  line: number;
  /** Carries a heredoc (`COPY <<EOF /x`): its content is not a context file. */
  heredoc: boolean;
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$/;
const HEREDOC = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;
const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);

/** Parser directives (`# escape=`, `# syntax=`) count only before the first comment, blank or instruction. */
function readEscape(lines: string[]): string {
  let escape = '\\';
  for (const line of lines) {
    const match = DIRECTIVE.exec(line.trim());
    if (!match || !line.trim()) break;
    if (match[1]!.toLowerCase() === 'escape' && (match[2] === '`' || match[2] === '\\')) escape = match[2];
  }
  return escape;
}

/** Shell-form words: white space splits, quotes group (and are removed), the escape char escapes. */
export function shellWords(text: string, escape = '\\'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === escape && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === escape && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function jsonArgs(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const parsed = JSON.parse(rest) as unknown;
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function splitInstruction(text: string, line: number, heredoc: boolean, escape: string): Instruction {
  const match = /^(\S+)\s*(.*)$/s.exec(text.trim())!;
  const keyword = match[1]!.toUpperCase();
  let rest = match[2]!;
  const flags: Array<[string, string]> = [];
  for (;;) {
    const flag = /^--([A-Za-z][A-Za-z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
    if (!flag) break;
    flags.push([flag[1]!.toLowerCase(), flag[2] ?? '']);
    rest = rest.slice(flag[0].length);
  }
  const args = jsonArgs(rest.trim()) ?? shellWords(rest, escape);
  return { keyword, flags, args, line, heredoc };
}

/** The instructions of a Dockerfile: continuations joined, comments and heredoc bodies consumed. */
export function parseDockerfile(text: string): Instruction[] {
  const lines = text.split(/\r\n|\r|\n/);
  const escape = readEscape(lines);
  const instructions: Instruction[] = [];
  let i = 0;
  while (i < lines.length) {
    const first = lines[i]!;
    if (!first.trim() || first.trim().startsWith('#')) {
      i++;
      continue;
    }
    const start = i + 1;
    let logical = '';
    // A line ending with the escape character continues; comment and empty lines inside are dropped.
    for (; i < lines.length; i++) {
      const line = lines[i]!;
      if (logical && (line.trim().startsWith('#') || !line.trim())) continue;
      const trimmed = line.replace(/\s+$/, '');
      if (trimmed.endsWith(escape)) {
        logical += trimmed.slice(0, -1);
        continue;
      }
      logical += line;
      i++;
      break;
    }
    const keyword = /^\s*(\S+)/.exec(logical)?.[1]?.toUpperCase() ?? '';
    const heredocs = HEREDOC_KEYWORDS.has(keyword) ? [...logical.matchAll(HEREDOC)] : [];
    for (const heredoc of heredocs) {
      // The body runs to a line that is the delimiter (leading tabs stripped with `<<-`).
      const delimiter = heredoc[3]!;
      while (i < lines.length) {
        const body = lines[i++]!;
        if ((heredoc[1] ? body.replace(/^\t+/, '') : body) === delimiter) break;
      }
    }
    instructions.push(splitInstruction(logical, start, heredocs.length > 0, escape));
  }
  return instructions;
}

export interface Stage {
  /** `FROM <base> AS <name>`: the name, lower-cased (stage names are case-insensitive). */
  name?: string;
  base: string;
  from: Instruction;
  instructions: Instruction[];
}

function splitStages(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const args = instruction.args;
      const as = args.findIndex((arg) => arg.toUpperCase() === 'AS');
      stages.push({
        base: args[0] ?? '',
        name: as > 0 ? args[as + 1]?.toLowerCase() : undefined,
        from: instruction,
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** A context path as Docker cleans it: no leading `./` or `/`, no trailing `/`; `.` for the root. */
export function cleanContextPath(path: string): string {
  const cleaned = posix.normalize(path.replace(/\\/g, '/')).replace(/^\/+/, '').replace(/\/+$/, '');
  return cleaned === '' ? '.' : cleaned;
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const c of glob) {
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

type Overlap = 'exact' | 'contains-model' | 'inside-model' | 'none';

/** How a COPY source relates to the model path. */
function overlap(source: string, model: string): Overlap {
  const clean = cleanContextPath(source);
  if (clean === model) return 'exact';
  if (clean === '.' || model.startsWith(`${clean}/`)) return 'contains-model';
  if (clean.startsWith(`${model}/`)) return 'inside-model';
  if (/[*?[]/.test(clean)) {
    // A wildcard that matches the model or one of its parent folders copies it.
    const pattern = globToRegExp(clean);
    const parts = model.split('/');
    for (let n = 1; n <= parts.length; n++)
      if (pattern.test(parts.slice(0, n).join('/'))) return 'contains-model';
  }
  return 'none';
}

export type ModelCopy =
  | {
      ok: true;
      /** Line of the model's COPY. */
      line: number;
      /** Where the model lands: the folder for a folder model, the file's path for a file. */
      destination: string;
    }
  | {
      ok: false;
      reason: string;
      line?: number;
      /** Only the destination could not be worked out: `model-image-path` can give it. */
      destinationOnly?: boolean;
    };

const LAYER_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);

function describe(instruction: Instruction): string {
  return `${instruction.keyword} at line ${instruction.line}`;
}

/** `COPY`/`ADD` from the build context (not `--from` another stage or image, not a heredoc). */
function contextSources(instruction: Instruction): string[] {
  if (!['COPY', 'ADD'].includes(instruction.keyword) || instruction.heredoc) return [];
  if (instruction.flags.some(([name]) => name === 'from')) return [];
  return instruction.args.slice(0, -1);
}

/**
 * The WORKDIR in effect at `index` of the stage (following `FROM <earlier stage>`), or undefined
 * when it depends on a base image or a variable.
 */
function workdirAt(stages: Stage[], stageIndex: number, index: number): string | undefined {
  const stage = stages[stageIndex]!;
  const parent = stages.findIndex((s, n) => n < stageIndex && s.name === stage.base.toLowerCase());
  let workdir =
    stage.base.toLowerCase() === 'scratch'
      ? '/'
      : parent >= 0
        ? workdirAt(stages, parent, stages[parent]!.instructions.length)
        : undefined;
  for (const instruction of stage.instructions.slice(0, index)) {
    if (instruction.keyword !== 'WORKDIR') continue;
    const dir = instruction.args.join(' ');
    if (dir.includes('$')) workdir = undefined;
    else if (dir.startsWith('/')) workdir = posix.normalize(dir);
    else workdir = workdir === undefined ? undefined : posix.join(workdir, dir);
  }
  return workdir;
}

/**
 * The final stage's COPY of exactly `modelPath` (relative to the context) and where it puts the
 * model, or why the fast path cannot reproduce the full build.
 */
export function findModelCopy(
  dockerfileText: string,
  modelPathRelativeToContext: string,
  modelKind: 'file' | 'folder' = 'folder',
): ModelCopy {
  const model = cleanContextPath(modelPathRelativeToContext);
  if (model === '.' || model.startsWith('../'))
    return {
      ok: false,
      reason: `model-path '${modelPathRelativeToContext}' is not a path inside the context`,
    };
  const stages = splitStages(parseDockerfile(dockerfileText));
  if (stages.length === 0) return { ok: false, reason: 'the Dockerfile has no FROM' };
  const finalIndex = stages.length - 1;

  let found: { stage: number; index: number; instruction: Instruction } | undefined;
  for (const [stageIndex, stage] of stages.entries()) {
    for (const [index, instruction] of stage.instructions.entries()) {
      const sources = contextSources(instruction);
      for (const source of sources) {
        if (source.includes('$'))
          return {
            ok: false,
            line: instruction.line,
            reason: `${describe(instruction)} names its source with a variable ('${source}'): cannot tell whether it copies the model`,
          };
        const kind = overlap(source, model);
        if (kind === 'contains-model')
          return {
            ok: false,
            line: instruction.line,
            reason: `${describe(instruction)} copies ${model} together with other files ('${source}'): the model is not copied in its own COPY`,
          };
        if (kind === 'inside-model')
          return {
            ok: false,
            line: instruction.line,
            reason: `${describe(instruction)} copies part of the model ('${source}') on its own`,
          };
        if (kind !== 'exact') continue;
        if (found)
          return {
            ok: false,
            line: instruction.line,
            reason: `${model} is copied twice (lines ${found.instruction.line} and ${instruction.line})`,
          };
        found = { stage: stageIndex, index, instruction };
      }
    }
  }
  if (!found) return { ok: false, reason: `the Dockerfile does not copy ${model} from the context` };

  const { instruction } = found;
  if (found.stage !== finalIndex) {
    const name = stages[found.stage]!.name;
    return {
      ok: false,
      line: instruction.line,
      reason: `${model} is copied in the build stage ${name ? `'${name}'` : found.stage + 1} (line ${instruction.line}), not in the final stage`,
    };
  }
  if (instruction.keyword === 'ADD')
    return {
      ok: false,
      line: instruction.line,
      reason: `the model is added with ADD at line ${instruction.line} (which may unpack archives): use COPY`,
    };
  if (instruction.args.length !== 2)
    return {
      ok: false,
      line: instruction.line,
      reason: `COPY at line ${instruction.line} copies other files with the model: give the model its own COPY`,
    };
  if (instruction.flags.length)
    return {
      ok: false,
      line: instruction.line,
      reason: `the model's COPY at line ${instruction.line} has ${instruction.flags.map(([name]) => `--${name}`).join(' ')}: the appended layer is root-owned with modes 0644/0755`,
    };
  const later = stages[finalIndex]!.instructions.slice(found.index + 1).find((next) =>
    LAYER_KEYWORDS.has(next.keyword),
  );
  if (later)
    return {
      ok: false,
      line: later.line,
      reason: `${later.keyword} after the model COPY at line ${later.line}`,
    };

  const written = instruction.args[1]!;
  if (written.includes('$'))
    return {
      ok: false,
      line: instruction.line,
      destinationOnly: true,
      reason: `the model's destination '${written}' at line ${instruction.line} uses a variable`,
    };
  let base = '/';
  if (!written.startsWith('/')) {
    const workdir = workdirAt(stages, finalIndex, found.index);
    if (workdir === undefined)
      return {
        ok: false,
        line: instruction.line,
        destinationOnly: true,
        reason: `the model's destination '${written}' at line ${instruction.line} is relative to a WORKDIR the Dockerfile does not set`,
      };
    base = workdir;
  }
  const absolute = posix.resolve(base, written);
  // A folder's contents go into the destination; a file goes into it when it ends with `/` (or is `.`).
  const intoFolder = written.endsWith('/') || written === '.' || written.endsWith('/.');
  const destination =
    modelKind === 'file' && intoFolder ? posix.join(absolute, posix.basename(model)) : absolute;
  return { ok: true, line: instruction.line, destination };
}
