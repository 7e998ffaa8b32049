// A small tar reader for the tests: parses every header field the layer writer sets (and checks the
// header checksum), so the tests see exactly what a container runtime would unpack.
import { gunzipSync } from 'node:zlib';

export interface TarRecord {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  uname: string;
  gname: string;
  magic: string;
  /** The PAX records that applied to this entry. */
  pax: Record<string, string>;
  content: Buffer;
}

export function readTarGz(gzip: Buffer): TarRecord[] {
  return readTar(gunzipSync(gzip));
}

export function readTar(tar: Buffer): TarRecord[] {
  const records: TarRecord[] = [];
  let pax: Record<string, string> = {};
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const block = tar.subarray(offset, offset + 512);
    if (block.every((byte) => byte === 0)) break;
    checkChecksum(block, offset);
    const size = octal(block, 124, 12);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    const type = text(block, 156, 1);
    if (type === 'x') {
      pax = parsePax(body);
      continue;
    }
    const paxSize = pax.size === undefined ? undefined : Number(pax.size);
    records.push({
      path: pax.path ?? text(block, 0, 100),
      type,
      mode: octal(block, 100, 8),
      uid: octal(block, 108, 8),
      gid: octal(block, 116, 8),
      size: paxSize ?? size,
      mtime: octal(block, 136, 12),
      uname: text(block, 265, 32),
      gname: text(block, 297, 32),
      magic: block.subarray(257, 265).toString('latin1'),
      pax,
      content: Buffer.from(body),
    });
    pax = {};
  }
  return records;
}

function checkChecksum(block: Buffer, offset: number): void {
  let sum = 0;
  block.forEach((byte, index) => (sum += index >= 148 && index < 156 ? 0x20 : byte));
  if (sum !== octal(block, 148, 8)) throw new Error(`bad header checksum at ${offset}`);
}

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString('utf8');
}

function octal(block: Buffer, start: number, length: number): number {
  const digits = text(block, start, length).trim();
  return digits === '' ? 0 : parseInt(digits, 8);
}

function parsePax(body: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    const length = Number(body.subarray(offset, space).toString('ascii'));
    const record = body.subarray(space + 1, offset + length - 1).toString('utf8');
    if (body[offset + length - 1] !== 0x0a)
      throw new Error(`PAX record at ${offset} does not end its stated length`);
    const equals = record.indexOf('=');
    records[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return records;
}
