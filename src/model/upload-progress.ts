// Progress of a model upload in the log: one line every few seconds (and a last one), with bytes
// done, the share of the total and the rate so far. Files report their own cumulative counts (as
// @azure/storage-blob's onProgress does); this sums them.
import type { Logger } from '../logger.js';

export interface UploadProgress {
  /** `loadedBytes` so far for one file (cumulative for that file). */
  report(file: string, loadedBytes: number): void;
  /** Logs the final line; returns the bytes sent. */
  finish(): number;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

export function createUploadProgress(options: {
  totalBytes: number;
  logger: Logger;
  now?: () => number;
  intervalMs?: number;
}): UploadProgress {
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 3000;
  const started = now();
  const perFile = new Map<string, number>();
  let sent = 0;
  let lastLine = started;
  let lastLogged = -1;

  const line = (): string => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const share = options.totalBytes ? Math.floor((sent / options.totalBytes) * 100) : 100;
    return (
      `Uploaded ${formatBytes(sent)} of ${formatBytes(options.totalBytes)} (${share}%), ` +
      `${formatBytes(sent / seconds)}/s`
    );
  };

  return {
    report(file, loadedBytes) {
      sent += loadedBytes - (perFile.get(file) ?? 0);
      perFile.set(file, loadedBytes);
      if (now() - lastLine >= interval) {
        lastLine = now();
        lastLogged = sent;
        options.logger.info(line());
      }
    },
    finish() {
      if (sent !== lastLogged) options.logger.info(line());
      return sent;
    },
  };
}
