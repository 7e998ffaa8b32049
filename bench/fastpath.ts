// `npm run bench:fastpath`: a model-only release of the example model project (test/fixtures/
// model-project, with an 8 MiB weights file added to its model) by the model-layer path vs full
// three-platform buildx rebuilds of the same change, on the e2e engine and registry
// (scripts/e2e/infra.sh; started here when it is not running, and stopped again).
//
// Set-up (not timed): release v1 both ways, so the environment image exists, the builder's local
// cache is warm, and the full build's cache is exported to the registry (`--cache-to
// type=registry,ref=<repo>:buildcache,mode=max`). Then the model changes and v2 is released, each
// timed in-process through buildImageFromInputs (the function the action calls; Node start-up
// excluded), each after a pause so one step's background work is not billed to the next:
//   - fast path: strategy model-layer. It must run no command at all;
//   - full rebuild, warm local cache: strategy full (builder check, login, buildx build of
//     linux/amd64, linux/arm64, linux/arm/v7, push, read-back) on the builder that built v1: only
//     the model COPY re-runs. The best case for buildx; it needs the previous build's cache on the
//     same machine;
//   - full rebuild importing the registry cache: the builder's local cache pruned first (`docker
//     buildx prune -af`: the state of a release runner that starts fresh), then strategy full with
//     the `cache-from`/`cache-to` inputs a release job sets (import v1's cache from the registry,
//     export v2's): what build-image does with a registry or GitHub Actions cache;
//   - full rebuild on a fresh builder, no cache: pruned again, strategy full without cache inputs;
//     every step re-runs, the dependency install (deps/install.sh) under QEMU for arm64 and arm/v7.
//     The base image stays in the engine's image store.
// Bytes pushed come from the registry's access log (blob uploads into the repository, sized from
// the manifests) plus the manifests; device download is what a linux/arm64 device holding v1 must
// fetch for v2 (blobs it lacks, the manifest, the config and the index) vs the image's full size.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseInputs } from '../src/action/parse-inputs.js';
import type { BuildImageResult } from '../src/image/build-image.js';
import { platformString } from '../src/image/oci/append.js';
import { createRegistryClient, isIndex, type RegistryClient } from '../src/image/registry-client.js';
import { machineSystem, type ImageSystem } from '../src/image/system.js';
import { SPAN_PREFIX } from '../src/image/fast-path/timing.js';
import { consoleLogger } from '../src/logger.js';
import { buildImageFromInputs } from '../src/stages/build-image.js';
import { REPO } from '../scripts/e2e/infra-control.js';
import { benchSettings, imageSizes, registryActivity } from './support/e2e.js';

// Started here when the infrastructure is not running (see bench/support/e2e.ts).
const settings = benchSettings();
const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'];
const DEVICE = 'linux/arm64';
// BENCH_WEIGHTS_MIB=0 releases the fixture's own model (only its metadata changes); the default adds
// 8 MiB of weights, closer to a real model.
const WEIGHTS_BYTES = Math.round(Number(process.env.BENCH_WEIGHTS_MIB ?? '8') * 1024 * 1024);

const id = Date.now().toString(36);
const repositories = { fast: `bench/fastpath-${id}`, full: `bench/fullbuild-${id}` };
const project = mkdtempSync(join(tmpdir(), 'bench-fastpath-'));
cpSync(join(REPO, 'test', 'fixtures', 'model-project'), project, { recursive: true });
const client: RegistryClient = createRegistryClient({
  registry: settings.registry,
  credentials: { username: settings.registryUser, password: settings.registryPassword },
});

/** A new model version: new weights (random, so incompressible like real ones) and its metadata. */
function writeModel(version: string): number {
  const weights = randomBytes(WEIGHTS_BYTES);
  const meta = JSON.stringify({ name: 'vibration-threshold', version, threshold: 0.5 }) + '\n';
  if (WEIGHTS_BYTES > 0) writeFileSync(join(project, 'model', 'weights.bin'), weights);
  writeFileSync(join(project, 'model', 'model.json'), meta);
  return (WEIGHTS_BYTES > 0 ? gzipSync(weights).length : 0) + gzipSync(meta).length;
}

function recording(): ImageSystem & { commands: string[] } {
  const real = machineSystem({ ...process.env });
  const commands: string[] = [];
  return {
    ...real,
    commands,
    exec: (command, args, options) => {
      commands.push(`${command} ${args.slice(0, 2).join(' ')}`);
      return real.exec(command, args, options);
    },
  };
}

async function release(
  repository: string,
  extra: Record<string, string>,
  system: ImageSystem = machineSystem({ ...process.env }),
): Promise<{ result: BuildImageResult; seconds: number; spans: string[] }> {
  const raw: Record<string, string> = {
    registry: settings.registry,
    image: repository,
    context: project,
    'model-path': join(project, 'model'),
    'build-args': `BASE_IMAGE=${settings.baseImage}`,
    'registry-username': settings.registryUser,
    'registry-password': settings.registryPassword,
    ...extra,
  };
  const inputs = parseInputs('build-image', (name) => raw[name]);
  // Debug lines are kept only for the fast path's timing spans (see src/image/fast-path/timing.ts).
  const spans: string[] = [];
  const context = {
    logger: consoleLogger((line) => {
      const at = line.indexOf(SPAN_PREFIX);
      if (at >= 0) spans.push(line.slice(at + SPAN_PREFIX.length));
    }, true),
    run: { commit: '0123abcd4567ef890123abcd4567ef8901234567' },
    mask: () => undefined,
    workDir: mkdtempSync(join(tmpdir(), 'bench-work-')),
  };
  const started = process.hrtime.bigint();
  const result = await buildImageFromInputs(inputs, context, system);
  return { result, seconds: Number(process.hrtime.bigint() - started) / 1e9, spans };
}

/** Empties the builder's local build cache: the state of a runner that starts without it. */
function pruneBuilder(): void {
  const run = spawnSync('docker', ['buildx', 'prune', '--all', '--force'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`docker buildx prune failed: ${run.stderr}`);
}

interface PlatformImage {
  /** Layer and config blobs, by digest. */
  blobs: Map<string, number>;
  /** Bytes of the platform manifest plus the index above it. */
  manifests: number;
}

/** One platform's image as a device pulls it. */
async function platformImage(repository: string, digest: string, platform: string): Promise<PlatformImage> {
  const index = await client.getManifest(repository, digest);
  const entry = isIndex(index)
    ? index.json.manifests?.find((m) => m.platform && platformString(m.platform) === platform)
    : undefined;
  const manifest = entry ? await client.getManifest(repository, entry.digest) : index;
  const blobs = new Map<string, number>();
  for (const d of [manifest.json.config, ...(manifest.json.layers ?? [])]) if (d) blobs.set(d.digest, d.size);
  return { blobs, manifests: manifest.size + (entry ? index.size : 0) };
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

/** What a device holding `before` downloads for `after`: the blobs it lacks, and the manifests. */
function deviceDownload(before: PlatformImage, after: PlatformImage): number {
  return (
    sum([...after.blobs].filter(([d]) => !before.blobs.has(d)).map(([, size]) => size)) + after.manifests
  );
}

interface Descriptor {
  digest: string;
  size: number;
}

/** Blob sizes of the build cache a rebuild exported to `<repository>:buildcache` (none: empty). */
async function cacheBlobs(repository: string): Promise<Map<string, number>> {
  const blobs = new Map<string, number>();
  if (!(await client.resolve(repository, 'buildcache'))) return blobs;
  const cache = await client.getManifest(repository, 'buildcache');
  // An OCI index whose entries are the cache's layers and config, or an image manifest.
  const json = cache.json as { manifests?: Descriptor[]; layers?: Descriptor[]; config?: Descriptor };
  for (const d of [json.config, ...(json.layers ?? []), ...(json.manifests ?? [])])
    if (d) blobs.set(d.digest, d.size);
  return blobs;
}

/**
 * Bytes sent to the registry after `offset` of its log: the image's blobs it logged as uploaded
 * into the repository plus its manifests, and apart from them the build cache exported there.
 */
async function bytesPushed(
  repository: string,
  digest: string,
  offset: number,
): Promise<{ image: number; cache: number }> {
  const { uploaded } = await registryActivity(settings, repository, offset);
  const { blobs, manifests } = await imageSizes(client, repository, digest);
  const cache = await cacheBlobs(repository);
  const cached = [...uploaded].filter((d) => !blobs.has(d)).map((d) => cache.get(d) ?? 0);
  return { image: sum([...uploaded].map((d) => blobs.get(d) ?? 0)) + manifests, cache: sum(cached) };
}

const logSize = () => statSync(settings.registryLog).size;

/**
 * Every timed run starts from the same quiet point: the previous step's background work (buildkit
 * exporting its cache, the registry finishing writes and its log) is not billed to the next one.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 2000));

/** CPU time (user + system) the registry process has used so far, in ms; 0 when it cannot be read. */
function registryCpuMs(): number {
  const port = settings.registry.split(':')[1];
  const found = spawnSync('pgrep', ['-f', 'registry serve'], { encoding: 'utf8' }).stdout.split('\n');
  let total = 0;
  for (const pid of found.filter(Boolean)) {
    try {
      const config = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const serving = readFileSync(config.split('\0').find((a) => a.endsWith('.yml')) ?? '', 'utf8');
      if (port && !serving.includes(`:${port}`)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks
    } catch {
      // Not on Linux, or the process went away: no figure.
    }
  }
  return total;
}
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

const cacheRef = `${settings.registry}/${repositories.full}:buildcache`;
const registryCache = {
  'cache-from': `type=registry,ref=${cacheRef}`,
  'cache-to': `type=registry,ref=${cacheRef},mode=max`,
};

// Set-up: v1 both ways (the environment image is built here, the builder's cache filled, and the
// full build's cache exported to the registry).
writeModel('1');
process.stderr.write(
  'set-up: v1 by the model-layer path (builds the environment image) and by a full build exporting its cache…\n',
);
const fastV1 = await release(repositories.fast, { strategy: 'model-layer', tags: 'v1' });
const fullV1 = await release(repositories.full, {
  strategy: 'full',
  tags: 'v1',
  'cache-to': registryCache['cache-to'],
});

// The change: a new model.
const compressedModel = writeModel('2');

process.stderr.write('v2 by the model-layer path…\n');
const offset = logSize();
const system = recording();
await settle();
const cpuBefore = { self: process.cpuUsage(), registry: registryCpuMs() };
const fast = await release(repositories.fast, { strategy: 'model-layer', tags: 'v2' }, system);
const cpu = {
  self: (({ user, system: sys }) => (user + sys) / 1000)(process.cpuUsage(cpuBefore.self)),
  registry: registryCpuMs() - cpuBefore.registry,
};
const fastPushed = await bytesPushed(repositories.fast, fast.result.digest, offset);

/** One full rebuild of v2, timed, with what it pushed and what a linux/arm64 device downloads. */
async function rebuild(tag: string, extra: Record<string, string>, prune: boolean) {
  if (prune) pruneBuilder();
  const offset = logSize();
  await settle();
  const { result, seconds } = await release(repositories.full, { strategy: 'full', tags: tag, ...extra });
  return {
    seconds,
    pushed: await bytesPushed(repositories.full, result.digest, offset),
    after: await platformImage(repositories.full, result.digest, DEVICE),
    digest: result.digest,
  };
}
// The warm local cache first (the builder still holds v1's build), then the two that start from
// an empty builder, as a release runner does.
process.stderr.write('v2 by a full rebuild with the warm local cache…\n');
const warm = await rebuild('v2-warm', {}, false);
process.stderr.write('v2 by a full rebuild on a pruned builder, importing the registry cache…\n');
const cached = await rebuild('v2-registry-cache', registryCache, true);
process.stderr.write('v2 by a full rebuild on a pruned builder, no cache…\n');
const fresh = await rebuild('v2-fresh', {}, true);

const fullBefore = await platformImage(repositories.full, fullV1.result.digest, DEVICE);
const fastBefore = await platformImage(repositories.fast, fastV1.result.digest, DEVICE);
const fastAfter = await platformImage(repositories.fast, fast.result.digest, DEVICE);
const fullSize = (image: PlatformImage) => sum(image.blobs.values()) + image.manifests;
const fastDownload = deviceDownload(fastBefore, fastAfter);
const downloadLimit = 1.05 * compressedModel + 64 * 1024;
const pushedText = ({ image, cache }: { image: number; cache: number }) =>
  cache ? `${kib(image)} (+ ${kib(cache)} cache export)` : kib(image);

console.log(
  `\nModel-only release of test/fixtures/model-project (${WEIGHTS_BYTES > 0 ? `+ ${WEIGHTS_BYTES / 1024 / 1024} MiB of new random weights` : 'its own model, new metadata'}), ${PLATFORMS.join(' + ')}, registry ${settings.registry}`,
);
console.log(
  'A rebuild: buildx builds all three platforms (arm64 and arm/v7 under QEMU): it installs the dependencies (deps/install.sh: 160 libraries unpacked and checksummed, local, as a stand-in for pip install) unless a cache has that step, copies the service and the model, and pushes.',
);
console.log(
  'Every row is timed in-process: buildImageFromInputs (what the action runs) from parsed inputs to its result, Node start-up excluded. The fast path hashes the environment inputs, finds env-<hash> in the registry, builds the model layer and appends it.\n',
);
console.log(
  '| release of the new model | wall time | bytes pushed | device download (linux/arm64) | full image (linux/arm64) |',
);
console.log('|---|---|---|---|---|');
const rows: Array<[string, number, string, number, number]> = [
  ['model-layer fast path', fast.seconds, pushedText(fastPushed), fastDownload, fullSize(fastAfter)],
  ...(
    [
      ['full rebuild, fresh builder, no cache', fresh],
      ['full rebuild, fresh builder, registry cache imported (cache-from/cache-to)', cached],
      ['full rebuild, warm local cache (builder that built v1)', warm],
    ] as const
  ).map(([name, r]): [string, number, string, number, number] => [
    name,
    r.seconds,
    pushedText(r.pushed),
    deviceDownload(fullBefore, r.after),
    fullSize(r.after),
  ]),
];
for (const [name, seconds, pushed, download, size] of rows)
  console.log(`| ${name} | ${seconds.toFixed(2)} s | ${pushed} | ${kib(download)} | ${kib(size)} |`);

console.log(
  `\ncommands the fast path ran: ${system.commands.length ? system.commands.join('; ') : 'none (no Docker)'}`,
);
console.log(
  `\nwhere the fast path's ${(fast.seconds * 1000).toFixed(0)} ms went (spans from the start of the model-layer release; they overlap):`,
);
for (const line of fast.spans) console.log(`  ${line}`);
console.log(
  `  CPU meanwhile: this process ${cpu.self.toFixed(0)} ms, the registry ${cpu.registry.toFixed(0)} ms (2 cores shared with whatever else runs: load ${loadavg()[0]!.toFixed(2)})`,
);
console.log(
  `compressed model (gzip of its files): ${kib(compressedModel)}; model layer: ${kib(fast.result.fastPath!.layerBytes)}`,
);

const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const ratio = (r: { seconds: number }) => r.seconds / fast.seconds;
console.log(
  '\nTargets (issue 6), against a full three-platform rebuild: every layer built again, as on a release runner that starts without the previous build:',
);
console.log('| target | measured | result |');
console.log('|---|---|---|');
console.log(
  `| ≥ 20× faster than a full rebuild on a fresh builder (no cache) | ${ratio(fresh).toFixed(1)}× | ${verdict(ratio(fresh) >= 20)} |`,
);
console.log(
  `| device download ≤ 1.05 × compressed model + 64 KiB (${kib(downloadLimit)}) | ${kib(fastDownload)} | ${verdict(fastDownload <= downloadLimit)} |`,
);
console.log(
  '\nAgainst rebuilds that reuse cached layers (not full rebuilds: only the model COPY runs again, no QEMU):',
);
console.log(
  `  ${ratio(cached).toFixed(1)}× faster than a rebuild importing the registry cache (cache-from/cache-to, as a release job with a cache set up does)`,
);
console.log(
  `  ${ratio(warm).toFixed(1)}× faster than a rebuild with the warm local cache: the best case for buildx, which needs the previous build's cache on the same machine (a persistent runner that built the previous release)`,
);
console.log(
  `\nfast   ${fast.result.digest}\nfresh  ${fresh.digest}\ncached ${cached.digest}\nwarm   ${warm.digest}`,
);
