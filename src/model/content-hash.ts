// The content hash the Azure ML SDK (`azure-ai-ml`, hence `az ml model create`) gives a local model,
// which names its upload folder `LocalUpload/<hash>/` (reference §1.2 step 5): MD5, first fed the
// bytes of SEED, then — for a file — its bytes (not its name), or — for a folder — each entry's name
// and then its bytes or its sub-folder, in the order model-scan.ts walks. Same hash, same blob path:
// an unchanged model is found and never uploaded twice, whichever tool uploaded it.
//
// The same read also yields each file's own MD5, stored as the blob's Content-MD5 so that the bytes
// in storage can be checked later.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ModelScan } from './model-scan.js';

export const CONTENT_HASH_SEED = 'Initialize for october 2021 AML CLI version';
const READ_CHUNK_BYTES = 1024 * 1024;

export interface ContentHash {
  /** 32 lower-case hex digits. */
  hash: string;
  /** MD5 of each file's bytes, by relative path. */
  fileMd5: Map<string, Buffer>;
}

async function feedFile(path: string, hashes: Hash[]): Promise<void> {
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  for await (const chunk of stream) for (const hash of hashes) hash.update(chunk as Buffer);
}

/** Hashes the scanned model; reads every file once, one at a time, in chunks (memory stays flat). */
export async function hashModel(scan: ModelScan): Promise<ContentHash> {
  const content = createHash('md5').update(CONTENT_HASH_SEED, 'utf8');
  const fileMd5 = new Map<string, Buffer>();
  for (const step of scan.steps) {
    if (step.kind === 'name') {
      content.update(step.name, 'utf8');
      continue;
    }
    const own = createHash('md5');
    await feedFile(step.file.absolutePath, [content, own]);
    fileMd5.set(step.file.relativePath, own.digest());
  }
  return { hash: content.digest('hex'), fileMd5 };
}
