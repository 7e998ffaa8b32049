// `npm run bench:fastpath`: a model-only release of the example model project (test/fixtures/
// model-project, with an 8 MiB weights file added to its model) by the model-layer path vs a full
// three-platform buildx rebuild of the same change, on the e2e engine and registry
// (scripts/e2e/infra.sh; started here when it is not running, and stopped again).
//
// Set-up (not timed): release v1 both ways, so the environment image exists and the builder's
// cache is warm. Then the model changes and v2 is released:
//   - fast path: buildImageFromInputs with strategy model-layer, timed in-process (the function
//     the action calls; Node start-up excluded). It must run no command at all;
//   - full, warm cache: buildImageFromInputs with strategy full (builder check, login, buildx build
//     of linux/amd64, linux/arm64, linux/arm/v7 with QEMU for the arm ones, push, read-back);
//   - full, cold cache: the same buildx build with --no-cache (every step re-runs, including the
//     dependency install under QEMU; the base image stays in the engine).
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
import { buildxBuildArgs } from '../src/image/buildx-args.js';
import { createRegistryClient, isIndex, type RegistryClient } from '../src/image/registry-client.js';
import { machineSystem, type ImageSystem } from '../src/image/system.js';
import { SPAN_PREFIX } from '../src/image/fast-path/timing.js';
import { consoleLogger } from '../src/logger.js';
import { buildImageFromInputs } from '../src/stages/build-image.js';
import {
  engineEnvironment,
  readSettings,
  REPO,
  startInfra,
  stopInfra,
} from '../scripts/e2e/infra-control.js';

// As bench/image.ts: the parent starts the infrastructure and re-runs this script with the engine
// and the registry's CA in its environment, then stops what it started.
if (!process.env.E2E_ENV) {
  const { settings, startedHere } = startInfra();
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...engineEnvironment(settings) },
  });
  stopInfra(startedHere);
  process.exit(child.status ?? 1);
}
const settings = readSettings();
const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'];
const DEVICE = 'linux/arm64';
const WEIGHTS_BYTES = 8 * 1024 * 1024;

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
  writeFileSync(join(project, 'model', 'weights.bin'), weights);
  writeFileSync(join(project, 'model', 'model.json'), meta);
  return gzipSync(weights).length + gzipSync(meta).length;
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

/** The cold rebuild: the same buildx build as the full path, with --no-cache, pushed as `tag`. */
function coldRebuild(tag: string): { digest: string; seconds: number } {
  const metadataFile = join(mkdtempSync(join(tmpdir(), 'bench-cold-')), 'metadata.json');
  const args = buildxBuildArgs({
    context: project,
    platforms: PLATFORMS,
    tags: [`${settings.registry}/${repositories.full}:${tag}`],
    labels: [],
    buildArgs: [`BASE_IMAGE=${settings.baseImage}`],
    cacheFrom: [],
    cacheTo: [],
    provenance: false,
    sbom: false,
    noCache: true,
    metadataFile,
    output: { kind: 'push' },
  });
  // The stage logged docker out when it finished; this build pushes on its own login.
  const login = spawnSync(
    'docker',
    ['login', settings.registry, '--username', settings.registryUser, '--password-stdin'],
    {
      input: settings.registryPassword,
      encoding: 'utf8',
    },
  );
  if (login.status !== 0) throw new Error(`docker login failed: ${login.stderr}`);
  const started = process.hrtime.bigint();
  const run = spawnSync('docker', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  spawnSync('docker', ['logout', settings.registry]);
  if (run.status !== 0) throw new Error(`cold rebuild failed: ${run.stderr}`);
  const digest = (JSON.parse(readFileSync(metadataFile, 'utf8')) as Record<string, string>)[
    'containerimage.digest'
  ]!;
  return { digest, seconds };
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
    ? index.json.manifests?.find(
        (m) =>
          [m.platform?.os, m.platform?.architecture, m.platform?.variant].filter(Boolean).join('/') ===
          platform,
      )
    : undefined;
  const manifest = entry ? await client.getManifest(repository, entry.digest) : index;
  const blobs = new Map<string, number>();
  for (const d of [manifest.json.config, ...(manifest.json.layers ?? [])]) if (d) blobs.set(d.digest, d.size);
  return { blobs, manifests: manifest.size + (entry ? index.size : 0) };
}

/** Every blob and manifest of an index (all platforms). */
async function wholeImage(
  repository: string,
  digest: string,
): Promise<{ blobs: Map<string, number>; manifests: number }> {
  const index = await client.getManifest(repository, digest);
  const blobs = new Map<string, number>();
  let manifests = index.size;
  for (const entry of index.json.manifests ?? []) {
    const image = await platformImage(repository, entry.digest, '');
    manifests += image.manifests;
    for (const [d, size] of image.blobs) blobs.set(d, size);
  }
  return { blobs, manifests };
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

/** What a device holding `before` downloads for `after`: the blobs it lacks, and the manifests. */
function deviceDownload(before: PlatformImage, after: PlatformImage): number {
  return (
    sum([...after.blobs].filter(([d]) => !before.blobs.has(d)).map(([, size]) => size)) + after.manifests
  );
}

/** Bytes sent to the registry: blobs it logged as uploaded into the repository after `offset`, and the manifests. */
async function bytesPushed(repository: string, digest: string, offset: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 300)); // the access log is written as requests complete
  const log = readFileSync(settings.registryLog, 'utf8').slice(offset);
  const { blobs, manifests } = await wholeImage(repository, digest);
  const uploaded = new Set<string>();
  const put =
    /"PUT \/v2\/([^ ]+)\/blobs\/uploads\/[^ ?]+\?[^ ]*digest=(sha256(?:%3A|:)[0-9a-f]{64})[^ ]* HTTP\/[0-9.]+" 201/g;
  for (const match of log.matchAll(put))
    if (match[1] === repository) uploaded.add(decodeURIComponent(match[2]!));
  return sum([...uploaded].map((d) => blobs.get(d) ?? 0)) + manifests;
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

// Set-up: v1 both ways (the environment image is built here, and the builder's cache filled).
writeModel('1');
process.stderr.write(
  'set-up: v1 by the model-layer path (builds the environment image) and by a full build…\n',
);
const fastV1 = await release(repositories.fast, { strategy: 'model-layer', tags: 'v1' });
const fullV1 = await release(repositories.full, { strategy: 'full', tags: 'v1' });

// The change: a new model.
const compressedModel = writeModel('2');

process.stderr.write('v2 by the model-layer path…\n');
let offset = logSize();
const system = recording();
await settle();
const cpuBefore = { self: process.cpuUsage(), registry: registryCpuMs() };
const fast = await release(repositories.fast, { strategy: 'model-layer', tags: 'v2' }, system);
const cpu = {
  self: (({ user, system: sys }) => (user + sys) / 1000)(process.cpuUsage(cpuBefore.self)),
  registry: registryCpuMs() - cpuBefore.registry,
};
const fastPushed = await bytesPushed(repositories.fast, fast.result.digest, offset);

process.stderr.write('v2 by a full rebuild, warm cache…\n');
offset = logSize();
await settle();
const warm = await release(repositories.full, { strategy: 'full', tags: 'v2' });
const warmPushed = await bytesPushed(repositories.full, warm.result.digest, offset);

process.stderr.write('v2 by a full rebuild, cold cache (--no-cache)…\n');
offset = logSize();
await settle();
const cold = coldRebuild('v2-cold');
const coldPushed = await bytesPushed(repositories.full, cold.digest, offset);

const device = {
  fastBefore: await platformImage(repositories.fast, fastV1.result.digest, DEVICE),
  fastAfter: await platformImage(repositories.fast, fast.result.digest, DEVICE),
  fullBefore: await platformImage(repositories.full, fullV1.result.digest, DEVICE),
  warmAfter: await platformImage(repositories.full, warm.result.digest, DEVICE),
  coldAfter: await platformImage(repositories.full, cold.digest, DEVICE),
};
const fullSize = (image: PlatformImage) => sum(image.blobs.values()) + image.manifests;
const fastDownload = deviceDownload(device.fastBefore, device.fastAfter);
const downloadLimit = 1.05 * compressedModel + 64 * 1024;

console.log(
  `\nModel-only release of test/fixtures/model-project (+ ${WEIGHTS_BYTES / 1024 / 1024} MiB of new random weights), ${PLATFORMS.join(' + ')}, registry ${settings.registry}`,
);
console.log(
  'The rebuild: buildx builds all three platforms (arm64 and arm/v7 under QEMU): it installs the dependencies (deps/install.sh: 160 libraries unpacked and checksummed, local, as a stand-in for pip install), copies the service and the model, and pushes.',
);
console.log(
  'The fast path is timed in-process: buildImageFromInputs (what the action runs), Node start-up excluded; it hashes the environment inputs, finds env-<hash> in the registry, builds the model layer and appends it.\n',
);
console.log(
  '| release of the new model | wall time | bytes pushed | device download (linux/arm64) | full image (linux/arm64) |',
);
console.log('|---|---|---|---|---|');
const rows: Array<[string, number, number, number, number]> = [
  ['model-layer fast path', fast.seconds, fastPushed, fastDownload, fullSize(device.fastAfter)],
  [
    'full rebuild, warm cache',
    warm.seconds,
    warmPushed,
    deviceDownload(device.fullBefore, device.warmAfter),
    fullSize(device.warmAfter),
  ],
  [
    'full rebuild, cold cache',
    cold.seconds,
    coldPushed,
    deviceDownload(device.fullBefore, device.coldAfter),
    fullSize(device.coldAfter),
  ],
];
for (const [name, seconds, pushed, download, size] of rows)
  console.log(`| ${name} | ${seconds.toFixed(2)} s | ${kib(pushed)} | ${kib(download)} | ${kib(size)} |`);

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
const warmRatio = warm.seconds / fast.seconds;
const coldRatio = cold.seconds / fast.seconds;
console.log('\n| target | measured | result |');
console.log('|---|---|---|');
console.log(
  `| ≥ 20× faster than a warm-cache rebuild | ${warmRatio.toFixed(1)}× | ${verdict(warmRatio >= 20)} |`,
);
console.log(
  `| ≥ 20× faster than a cold-cache rebuild | ${coldRatio.toFixed(1)}× | ${verdict(coldRatio >= 20)} |`,
);
console.log(
  `| device download ≤ 1.05 × compressed model + 64 KiB (${kib(downloadLimit)}) | ${kib(fastDownload)} | ${verdict(fastDownload <= downloadLimit)} |`,
);
console.log(`\nfast ${fast.result.digest}\nwarm ${warm.result.digest}\ncold ${cold.digest}`);
