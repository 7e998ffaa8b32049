// `ml-to-iot-edge demo` (`npm run demo`): the root action on local sandboxes, no Azure and no Docker.
// Each release runs the real pipeline (runPipeline, the same inputs the action takes and the same
// job summary): the model is registered in a sandbox Azure ML workspace (blobs in Azurite), appended
// as one layer to the seeded `env-demo` environment image in an OCI layout (strategy model-layer),
// and rolled out over a sandbox IoT Hub with the real azure-iothub SDK to a simulated fleet of three
// architectures in three rings. Release 1.0.0 goes to every device first (the fallback), then 1.1.0
// canary → pilot → fleet with health gates. `--fail <ring>` makes that ring crash-loop on 1.1.0's
// image: the gate fails, the release is rolled back by itself, and the demo exits with 1 as the
// failed step would. `--registry` takes the full buildx path instead (a Docker engine is needed).
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseInputs, secretInputNames } from '../action/parse-inputs.js';
import { redactSecrets } from '../azure/redact-secrets.js';
import { layoutStore } from '../image/oci/layout-store.js';
import { consoleLogger } from '../logger.js';
import { runPipeline } from '../pipeline/pipeline.js';
import type { HubClient } from '../rollout/hub-client.js';
import { SdkHubClient } from '../rollout/sdk-hub-client.js';
import { startSandboxAml, type SandboxAml } from '../sandbox/aml/index.js';
import { parseRingSizes, type RingSize } from '../sandbox/fleet.js';
import { startSandboxHub, type SandboxHub } from '../sandbox/index.js';
import type { PemPair } from '../sandbox/tls.js';
import { persistentCa, trustedOrRerun } from '../sandbox/trust.js';
import { StageFailedError, type StageContext, type StageResult } from '../stages/index.js';
import { architectureMix, demoDevices, imageCensus, withDefect } from './demo-fleet.js';
import { DEMO_PROJECT, ENVIRONMENT_TAG, MODEL_IMAGE_PATH, seedEnvironmentImage } from './environment-seed.js';

export const DEMO_HELP = `ml-to-iot-edge demo [flags]

Runs the whole pipeline (register → build → rollout) on local sandboxes: no Azure, no Docker. The
model is registered in a sandbox Azure ML workspace (Azurite blobs), appended as one layer to an
environment image in an OCI layout folder, and rolled out over a sandbox IoT Hub to 300 simulated
devices (amd64, arm64, armv7). Release 1.0.0 goes to every device first (the fallback); release
1.1.0 then goes canary → pilot → fleet with health gates, and the job summary is printed.

  --fail <ring>         that ring's devices crash-loop on the new image: watch the automatic rollback
                        (the demo then exits with 1, as the failed workflow step would)
  --rings <spec>        ring sizes of the simulated fleet (default canary=30,pilot=90,fleet=180)
  --time-scale <n>      sandbox seconds per real second (default 300: a 5-minute soak takes 1 s)
  --out <dir>           where the demo project, the OCI layout and the manifest go (default tmp/demo)
  --registry <host>     build with docker buildx (strategy full) and push to this registry instead of
                        the OCI layout; needs a Docker engine with buildx and QEMU`;

export interface DemoIo {
  log(line: string): void;
  error(line: string): void;
}

export interface DemoOptions {
  /** The CA the sandboxes' certificates come from; this process must trust it already (tests). */
  ca?: PemPair & { file?: string };
}

const APP = 'vision';
const RELEASES = ['1.0.0', '1.1.0'] as const;
type Release = (typeof RELEASES)[number];
const DEFAULT_RINGS = 'canary=30,pilot=90,fleet=180';
/** Registry host in the image name when the image goes to the OCI layout (nothing is pushed). */
const LAYOUT_REGISTRY = 'sandbox.local';
const RUN = {
  repository: 'acme/vision',
  commit: '5e1f0c2a9b7d4e3f8a6c1b0d2e4f6a8c0b1d3e5f',
  runId: '1001',
  runUrl: 'https://github.com/acme/vision/actions/runs/1001',
};
/** The example model of the tests; release 1.1.0 is the same with retrained weights. */
const EXAMPLE_MODEL = join(DEMO_PROJECT, '..', '..', '..', 'test', 'fixtures', 'model', 'example-model');

interface DemoSettings {
  rings: RingSize[];
  timeScale: number;
  failing?: string;
  outDir: string;
  /** Set: the full buildx path pushing there; unset: the model-layer path into the OCI layout. */
  registry?: string;
}

function settingsFrom(argv: string[]): DemoSettings {
  const { values } = parseArgs({
    args: argv,
    options: {
      rings: { type: 'string' },
      'time-scale': { type: 'string' },
      out: { type: 'string' },
      fail: { type: 'string' },
      registry: { type: 'string' },
    },
    strict: true,
  });
  const timeScale = Number(values['time-scale'] ?? 300);
  if (!(timeScale > 0))
    throw new Error(`--time-scale must be a positive number, got '${values['time-scale']}'`);
  const rings = parseRingSizes(values.rings ?? DEFAULT_RINGS);
  const names = rings.map((ring) => ring.name);
  if (values.fail !== undefined && !names.includes(values.fail))
    throw new Error(`--fail takes a ring of the fleet (${names.join(', ')}), got '${values.fail}'`);
  return {
    rings,
    timeScale,
    failing: values.fail,
    outDir: resolve(values.out ?? join('tmp', 'demo')),
    registry: values.registry,
  };
}

/** The first release, on every device at once: one ring, the app's fallback from then on. */
function everyRing(rings: readonly RingSize[]): string {
  const condition = rings.map((ring) => `tags.ring='${ring.name}'`).join(' OR ');
  return `rings:\n  - name: everyone\n    target-condition: ${condition}\n    gate: {soak: 1m}`;
}

/**
 * The demo project for `release`: the Dockerfile and scoring code, and the model in model/ (the
 * example model for 1.0.0, the same with retrained weights, one changed file, for later releases).
 */
function writeProject(project: string, release: Release): string {
  rmSync(project, { recursive: true, force: true });
  cpSync(DEMO_PROJECT, project, { recursive: true });
  const model = join(project, 'model');
  cpSync(EXAMPLE_MODEL, model, { recursive: true });
  if (release !== '1.0.0')
    writeFileSync(join(model, 'model.onnx'), `retrained weights for ${release}\n`, { flag: 'a' });
  return model;
}

/** The pipeline's inputs, as a release workflow would give them to the root action. */
function pipelineInputs(
  settings: DemoSettings,
  release: Release,
  aml: SandboxAml,
  hub: SandboxHub,
  project: string,
  model: string,
): Record<string, string> {
  // Paths relative to the working directory, as a workflow writes them.
  const layout = relative('.', layoutDir(settings)) || '.';
  const image: Record<string, string> = settings.registry
    ? { registry: settings.registry, strategy: 'full' }
    : {
        registry: LAYOUT_REGISTRY,
        strategy: 'model-layer',
        'oci-layout': layout,
        'environment-image': `oci:${layout}:${ENVIRONMENT_TAG}`,
        'model-image-path': MODEL_IMAGE_PATH,
      };
  return {
    app: APP,
    release,
    ...aml.inputs(),
    'model-path': relative('.', model),
    context: relative('.', project),
    ...image,
    'iothub-connection-string': hub.connectionString,
    ...(release === '1.0.0' ? { rings: everyRing(settings.rings), 'first-release': 'true' } : {}),
  };
}

const layoutDir = (settings: DemoSettings) => join(settings.outDir, 'oci');

/** The pipeline's result, also when it failed after reporting (a rollback). */
async function runRelease(
  release: Release,
  given: Record<string, string>,
  context: StageContext,
  hub: HubClient,
  sandboxHub: SandboxHub,
): Promise<{ result: StageResult; failure?: string }> {
  // As the action does: secret inputs are masked before anything is logged.
  for (const name of secretInputNames('pipeline')) if (given[name]) context.mask(given[name]);
  const inputs = parseInputs('pipeline', (name) => given[name]);
  const deps = { rollout: { clock: sandboxHub.clock, hub } };
  const run = { ...context, run: { ...context.run, runId: `${RUN.runId}-${release}` } };
  try {
    return { result: await runPipeline(inputs, run, deps) };
  } catch (error) {
    if (error instanceof StageFailedError) return { result: error.result, failure: error.message };
    throw error;
  }
}

/** Writes the release's deployment, read back from the hub, to `<out>/deployment-<release>.json`. */
async function saveDeployment(
  hub: HubClient,
  id: string,
  outDir: string,
  release: Release,
): Promise<string | undefined> {
  const deployment = await hub.getDeployment(id);
  if (!deployment) return undefined;
  const file = join(outDir, `deployment-${release}.json`);
  writeFileSync(file, JSON.stringify(deployment, null, 2) + '\n');
  return file;
}

export async function runDemoCommand(argv: string[], io: DemoIo, options: DemoOptions = {}): Promise<number> {
  const settings = settingsFrom(argv);
  let ca = options.ca;
  if (!ca) {
    const persistent = await persistentCa();
    const trusted = await trustedOrRerun(persistent.file);
    if (trusted !== true) return trusted;
    ca = persistent;
  }
  const started = Date.now();
  const secrets: string[] = [];
  const say = (line: string) => io.error(redactSecrets(line, secrets));
  const print = (line: string) => io.log(redactSecrets(line, secrets));
  const context: StageContext = {
    logger: consoleLogger((text) => text.split('\n').forEach((line) => say(`  ${line}`))),
    run: RUN,
    mask: (secret) => void secrets.push(secret),
    workDir: settings.outDir,
  };
  mkdirSync(settings.outDir, { recursive: true });
  const project = join(settings.outDir, 'project');

  if (!settings.registry) {
    say(
      `== Seeding the environment image env-demo into the OCI layout ${relative('.', layoutDir(settings))}`,
    );
    const seeded = await seedEnvironmentImage(layoutStore(layoutDir(settings)));
    say(
      `  env-demo ${seeded.digest} (${seeded.platforms.join(', ')}): ` +
        (seeded.written ? `${seeded.written} blobs and manifests written` : 'already there'),
    );
  }

  say('== Starting the sandbox IoT Hub and the simulated fleet');
  const devices = demoDevices(settings.rings);
  const hub = await startSandboxHub({ devices, timeScale: settings.timeScale, ca });
  let aml: SandboxAml | undefined;
  try {
    say(
      `  hub https://${hub.hostName}: ${devices.length} edge devices (${settings.rings.map((r) => `${r.name} ${r.count}`).join(', ')}; ` +
        `${architectureMix(devices)}), S1 throttling, time x${settings.timeScale}`,
    );
    say('== Starting the sandbox Azure ML workspace (blobs in Azurite)');
    aml = await startSandboxAml({ ca });
    say(`  workspace ${aml.workspace} at ${aml.armEndpoint}`);

    const sdkClient = SdkHubClient.fromConnectionString(hub.connectionString, {
      sleep: (ms) => hub.clock.sleep(ms),
      now: () => hub.clock.now(),
      logger: context.logger,
    });
    const failingIds = settings.failing
      ? devices.filter((device) => device.tags?.ring === settings.failing).map((device) => device.deviceId)
      : [];
    /** image-ref → the release it was built for, to name what the devices run. */
    const releaseOf = new Map<string, Release>();
    let outcome: Awaited<ReturnType<typeof runRelease>> | undefined;
    for (const release of RELEASES) {
      const first = release === '1.0.0';
      say(
        first
          ? '== Release 1.0.0 through the pipeline, to every device at once: the fallback for what follows'
          : '== Release 1.1.0 through the pipeline: register → build → canary → pilot → fleet' +
              (settings.failing
                ? ` (the ${settings.failing} devices will crash-loop on its image: --fail)`
                : ''),
      );
      const model = writeProject(project, release);
      const client = !first && failingIds.length ? withDefect(sdkClient, hub, failingIds) : sdkClient;
      const given = pipelineInputs(settings, release, aml, hub, project, model);
      outcome = await runRelease(release, given, context, client, hub);
      const { outputs } = outcome.result;
      if (outputs['image-ref']) releaseOf.set(outputs['image-ref'], release);
      say(
        `  release ${release}: ${outputs.state ?? 'not rolled out'}${outputs['image-ref'] ? `, image ${outputs['image-ref']}` : ''}`,
      );
      if (outputs['deployment-id']) {
        const file = await saveDeployment(sdkClient, outputs['deployment-id'], settings.outDir, release);
        if (file) say(`  the deployment as the hub holds it: ${relative('.', file)}`);
      }
      if (first && outcome.failure) {
        say(`The first release did not reach every device: ${outcome.failure}`);
        break;
      }
    }

    say('== What the devices run now (their reported twins)');
    const named = (image: string) => `release ${releaseOf.get(image) ?? '?'} (${image})`;
    for (const line of imageCensus(hub))
      say(
        `  ${named(line.image)}: ${line.running} running${line.failing ? `, ${line.failing} not running` : ''}`,
      );
    if (settings.failing && outcome?.result.outputs.state === 'rolled-back') {
      // The rollout verified the rollback with hub queries; this reads the devices' own reports.
      const ring = imageCensus(hub, failingIds);
      const back = ring.length === 1 && releaseOf.get(ring[0]!.image) === '1.0.0' ? ring[0]!.running : 0;
      say(
        `  ${settings.failing}: ${back} of ${failingIds.length} devices run release 1.0.0 again` +
          (back === failingIds.length
            ? ': rollback verified on the devices'
            : ': the rollback is NOT complete'),
      );
    }
    print('');
    print('== The job summary');
    print(outcome?.result.summary ?? '(no summary)');
    print(`outputs: ${JSON.stringify(outcome?.result.outputs ?? {})}`);
    const counters = hub.counters();
    print(
      `sandbox hub: ${counters.writes} writes, ${counters.queries} queries, ${counters.reads} reads, ${counters.throttled} throttled, ` +
        `${counters.evaluations} evaluation cycles; ${((Date.now() - started) / 1000).toFixed(1)} s real time`,
    );
    if (outcome?.failure) {
      say(
        settings.failing
          ? `\nAs asked (--fail ${settings.failing}), the ${settings.failing} ring failed its gate and release 1.1.0 was rolled back by itself. ` +
              'Exit code 1: a workflow step fails the same way after a rollback.'
          : `\nThe pipeline failed: ${outcome.failure}`,
      );
      return 1;
    }
    return 0;
  } finally {
    await aml?.stop();
    await hub.stop();
  }
}
