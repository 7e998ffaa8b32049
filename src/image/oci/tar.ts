// A minimal ustar writer for reproducible layers: only the fields that matter are set (path, mode,
// size, type), everything machine-specific (owner, times, device numbers) is fixed. Paths longer
// than the ustar field, non-ASCII paths and sizes beyond the octal field go into a PAX header.

export interface TarEntry {
  /** Relative path with `/` separators; directories end with `/`. */
  path: string;
  type: 'file' | 'directory';
  mode: number;
  size: number;
}

const BLOCK = 512;
const NAME_FIELD = 100;
const MAX_OCTAL_SIZE = 0o77777777777; // 11 octal digits
const FIXED_MTIME = 0;

/** Two zero blocks end an archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

/** Header block(s) of one entry: a PAX extended header first when ustar cannot hold it. */
export function tarHeader(entry: TarEntry): Buffer {
  const longPath = Buffer.byteLength(entry.path) > NAME_FIELD || !/^[\x20-\x7e]*$/.test(entry.path);
  const bigSize = entry.size > MAX_OCTAL_SIZE;
  const pax: Array<[string, string]> = [];
  if (longPath) pax.push(['path', entry.path]);
  if (bigSize) pax.push(['size', String(entry.size)]);
  const main = ustarBlock({
    name: longPath ? asciiPrefix(entry.path) : entry.path,
    mode: entry.mode,
    size: bigSize ? 0 : entry.size,
    type: entry.type === 'file' ? '0' : '5',
  });
  if (pax.length === 0) return main;
  const body = Buffer.concat(pax.map(([key, value]) => paxRecord(key, value)));
  const paxHeader = ustarBlock({ name: 'PaxHeader', mode: 0o644, size: body.length, type: 'x' });
  return Buffer.concat([paxHeader, body, tarPadding(body.length), main]);
}

/** Zero bytes that fill the last block of a `size`-byte body. */
export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

/** Bytes of the entry in the archive: header(s), body and padding. */
export function tarEntrySize(header: Buffer, size: number): number {
  return header.length + size + tarPadding(size).length;
}

interface UstarFields {
  name: string;
  mode: number;
  size: number;
  type: '0' | '5' | 'x';
}

function ustarBlock(fields: UstarFields): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, NAME_FIELD, 'utf8');
  writeOctal(block, 100, 8, fields.mode);
  writeOctal(block, 108, 8, 0); // uid
  writeOctal(block, 116, 8, 0); // gid
  writeOctal(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, FIXED_MTIME);
  block.write(fields.type, 156, 1, 'ascii');
  block.write('ustar\u000000', 257, 8, 'ascii'); // magic and version of POSIX ustar
  // uname and gname stay empty; devmajor and devminor are zero.
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  block.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return block;
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}

/** `<length> <key>=<value>\n`, where the length counts its own digits too. */
function paxRecord(key: string, value: string): Buffer {
  const rest = Buffer.byteLength(` ${key}=${value}\n`);
  let length = rest + String(rest).length;
  if (String(length).length !== String(rest).length) length = rest + String(length).length;
  return Buffer.from(`${length} ${key}=${value}\n`, 'utf8');
}

/** A readable stand-in for the ustar name field when the real path lives in the PAX header. */
function asciiPrefix(path: string): string {
  return path.replace(/[^\x20-\x7e]/g, '_').slice(0, NAME_FIELD);
}
