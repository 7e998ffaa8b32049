// `npm run bench:register [size-MB] [rounds]`: registers a generated 500 MB model (one file, then a folder of
// the same size) in the sandbox Azure ML workspace, with Azurite holding the blobs, and prints
//   - the upload throughput, next to Azurite's raw single-blob throughput (plain uploadFile, same run);
//   - the peak extra memory (RSS and heap, sampled) of each;
//   - the time of a second registration of the same content (hash only, nothing uploaded).
// Prints figures; asserts nothing.
import { ContainerClient } from '@azure/storage-blob';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { consoleLogger, type Logger } from '../src/logger.js';
import { hashModel } from '../src/model/content-hash.js';
import { scanModel } from '../src/model/model-scan.js';
import { registerModel, type RegisteredModel } from '../src/model/register-model.js';
import { startSandboxAml, type SandboxAml } from '../src/sandbox/aml/index.js';
import { persistentCa, trustedOrRerun } from '../src/sandbox/trust.js';

const MB = 1_000_000;
const SIZE_MB = Number(process.argv[2] ?? 500);
const ROUNDS = Number(process.argv[3] ?? 2);
const CHUNK = 1024 * 1024;

/** Writes `bytes` of varying content to `path`, a chunk at a time (never the whole file in memory). */
async function writeModelFile(path: string, bytes: number): Promise<void> {
  const stream = createWriteStream(path);
  const chunk = Buffer.alloc(CHUNK);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24;
  for (let written = 0, n = 0; written < bytes; n++) {
    const size = Math.min(CHUNK, bytes - written);
    chunk.writeUInt32LE(n, 0); // no two blocks alike
    if (!stream.write(Buffer.from(chunk.subarray(0, size)))) await once(stream, 'drain');
    written += size;
  }
  stream.end();
  await once(stream, 'finish');
}

interface Sampled<T> {
  result: T;
  seconds: number;
  peakRssMb: number;
  peakHeapMb: number;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Runs `work`, sampling memory every 10 ms; peaks are above the usage just before it started. */
async function sampled<T>(work: () => Promise<T>): Promise<Sampled<T>> {
  collectGarbage();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const timer = setInterval(() => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }, 10);
  const started = performance.now();
  try {
    const result = await work();
    return {
      result,
      seconds: (performance.now() - started) / 1000,
      peakRssMb: (peakRss - base.rss) / MB,
      peakHeapMb: (peakHeap - base.heapUsed) / MB,
    };
  } finally {
    clearInterval(timer);
  }
}

/** A quiet logger that notes when the upload phase starts and ends. */
function phaseLogger(): Logger & { uploadSeconds(): number | undefined } {
  let start: number | undefined;
  let end: number | undefined;
  const base = consoleLogger(() => undefined);
  return {
    ...base,
    info(message) {
      if (message.startsWith('Uploading ')) start = performance.now();
      if (message.startsWith('Uploaded ')) end = performance.now();
    },
    uploadSeconds: () => (start !== undefined && end !== undefined ? (end - start) / 1000 : undefined),
  };
}

function rate(bytes: number, seconds: number): string {
  return `${(bytes / MB / seconds).toFixed(0).padStart(5)} MB/s`;
}

function memory(sample: Sampled<unknown>): string {
  return `peak extra RSS ${sample.peakRssMb.toFixed(0).padStart(4)} MB, heap ${sample.peakHeapMb.toFixed(0).padStart(4)} MB`;
}

async function register(sandbox: SandboxAml, path: string, name: string) {
  const logger = phaseLogger();
  const credential = sandbox.credential();
  const sample = await sampled<RegisteredModel>(() =>
    registerModel(
      {
        modelPath: path,
        modelName: name,
        subscriptionId: sandbox.subscriptionId,
        resourceGroup: sandbox.resourceGroup,
        workspace: sandbox.workspace,
        armEndpoint: sandbox.armEndpoint,
        commit: 'bench',
      },
      { credential, logger, mask: () => undefined, upload: { progressIntervalMs: 1e9 } },
    ),
  );
  return { ...sample, uploadSeconds: logger.uploadSeconds() };
}

async function main(): Promise<number> {
  const ca = await persistentCa();
  const trusted = await trustedOrRerun(ca.file);
  if (trusted !== true) return trusted;
  if (!(globalThis as { gc?: unknown }).gc)
    console.log('(run with node --expose-gc for steadier memory figures)');

  const dir = mkdtempSync(join(tmpdir(), 'bench-register-'));
  const bytes = SIZE_MB * MB;
  const file = join(dir, 'model.onnx');
  const folder = join(dir, 'model-folder');
  const parts = 50;
  console.log(
    `Generating a ${SIZE_MB} MB model file and a folder of ${parts} files of the same total size in ${dir} ...`,
  );
  await writeModelFile(file, bytes);
  mkdirSync(folder);
  for (let i = 0; i < parts; i++)
    await writeModelFile(join(folder, `shard-${String(i).padStart(3, '0')}.bin`), Math.floor(bytes / parts));

  // Azurite slows down as it holds more blobs in memory, so every measurement gets a fresh sandbox
  // (and Azurite), and the best of ROUNDS counts.
  const fresh = async <T>(work: (sandbox: SandboxAml) => Promise<T>): Promise<T> => {
    const sandbox = await startSandboxAml({ ca });
    try {
      return await work(sandbox);
    } finally {
      await sandbox.stop();
    }
  };
  const best = <T extends { seconds: number }>(
    runs: T[],
    seconds: (run: T) => number = (run) => run.seconds,
  ) => runs.reduce((a, b) => (seconds(b) < seconds(a) ? b : a));
  const baselines: Sampled<unknown>[] = [];
  const files: Awaited<ReturnType<typeof register>>[] = [];
  const agains: Awaited<ReturnType<typeof register>>[] = [];
  const folders: Awaited<ReturnType<typeof register>>[] = [];
  let protocol = '';
  try {
    for (let round = 0; round < ROUNDS; round++) {
      baselines.push(
        await fresh(async (sandbox) => {
          protocol = sandbox.azurite.protocol.toUpperCase();
          const raw = new ContainerClient(
            `${sandbox.azurite.accountUrl}/raw-baseline`,
            sandbox.azurite.sharedKeyCredential(),
          );
          await raw.create();
          return sampled(() => raw.getBlockBlobClient('model.onnx').uploadFile(file));
        }),
      );
      await fresh(async (sandbox) => {
        files.push(await register(sandbox, file, 'bench-file'));
        agains.push(await register(sandbox, file, 'bench-file'));
      });
      folders.push(await fresh((sandbox) => register(sandbox, folder, 'bench-folder')));
    }
    const hashing = await sampled(async () => (await hashModel(scanModel(file))).hash);
    const uploadSeconds = (run: Awaited<ReturnType<typeof register>>) => run.uploadSeconds ?? run.seconds;
    const baseline = best(baselines);
    const first = best(files, uploadSeconds);
    const shards = best(folders, uploadSeconds);
    const again = best(agains);

    console.log(
      `\nModel registration on the sandbox, ${SIZE_MB} MB (Azurite ${protocol}, in memory; best of ${ROUNDS}, each on a fresh Azurite)`,
    );
    console.log(
      `  Azurite raw single-blob uploadFile:     ${rate(bytes, baseline.seconds)}  (${baseline.seconds.toFixed(2)} s)   ${memory(baseline)}`,
    );
    console.log(
      `  registration upload phase, one file:    ${rate(bytes, uploadSeconds(first))}  (${uploadSeconds(first).toFixed(2)} s)   ${memory(first)}`,
    );
    console.log(
      `  registration upload phase, ${parts} files:   ${rate(bytes, uploadSeconds(shards))}  (${uploadSeconds(shards).toFixed(2)} s)   ${memory(shards)}`,
    );
    console.log(
      `  content hash (MD5, the SDK's):          ${rate(bytes, hashing.seconds)}  (${hashing.seconds.toFixed(2)} s)`,
    );
    console.log(
      `  first registration, total:              ${first.seconds.toFixed(2)} s (hash + upload + ARM), version ${first.result.version}, uploaded ${(first.result.uploadedBytes / MB).toFixed(0)} MB`,
    );
    console.log(
      `  second registration, same content:      ${again.seconds.toFixed(2)} s (hash + ARM), version ${again.result.version}, uploaded ${again.result.uploadedBytes} bytes   ${memory(again)}`,
    );
    console.log(
      `  one-file upload: ${((baseline.seconds / uploadSeconds(first)) * 100).toFixed(0)}% of Azurite's raw single-blob throughput`,
    );
    console.log(
      `  all runs (s): raw ${baselines.map((r) => r.seconds.toFixed(2)).join(', ')}; file upload ${files.map((r) => uploadSeconds(r).toFixed(2)).join(', ')}; folder upload ${folders.map((r) => uploadSeconds(r).toFixed(2)).join(', ')}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}

process.exitCode = await main();
