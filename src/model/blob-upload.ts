// Uploads a model's files to their blobs. Each file is streamed from disk in blocks (uploadFile reads
// each block with its own file stream), so memory stays flat whatever the size; a folder's files go
// up a few at a time, each with a few blocks in flight. Every blob carries its file's MD5 as
// Content-MD5.
import type { ContainerClient } from '@azure/storage-blob';
import type { Logger } from '../logger.js';
import { forEachBounded } from './bounded.js';
import type { ModelBlob } from './model-paths.js';
import { createUploadProgress, formatBytes } from './upload-progress.js';

export interface UploadTuning {
  /** Files uploaded at once (default 4). */
  files?: number;
  /** Blocks in flight per file (default 4). */
  blocksPerFile?: number;
  /** Block size in bytes (default 8 MiB); files up to this size go in one request. */
  blockSize?: number;
  /** Milliseconds between progress lines (default 3000). */
  progressIntervalMs?: number;
}

const MIB = 1024 * 1024;

export async function uploadBlobs(options: {
  container: ContainerClient;
  blobs: readonly ModelBlob[];
  fileMd5: ReadonlyMap<string, Buffer>;
  logger: Logger;
  tuning?: UploadTuning;
  now?: () => number;
}): Promise<number> {
  const { container, blobs, tuning = {} } = options;
  const blockSize = tuning.blockSize ?? 8 * MIB;
  const totalBytes = blobs.reduce((sum, blob) => sum + blob.size, 0);
  options.logger.info(
    `Uploading ${blobs.length} file(s), ${formatBytes(totalBytes)}, to ${container.containerName}`,
  );
  const progress = createUploadProgress({
    totalBytes,
    logger: options.logger,
    now: options.now,
    intervalMs: tuning.progressIntervalMs,
  });
  await forEachBounded(blobs, tuning.files ?? 4, async (blob) => {
    const md5 = options.fileMd5.get(blob.relativePath);
    await container.getBlockBlobClient(blob.blobName).uploadFile(blob.absolutePath, {
      blockSize,
      maxSingleShotSize: blockSize,
      concurrency: tuning.blocksPerFile ?? 4,
      blobHTTPHeaders: md5 ? { blobContentMD5: md5 } : undefined,
      onProgress: (event) => progress.report(blob.blobName, event.loadedBytes),
    });
    progress.report(blob.blobName, blob.size);
  });
  progress.finish();
  return totalBytes;
}
