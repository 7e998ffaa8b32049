// `ml-to-iot-edge demo` (`npm run demo`): the main job on the local sandbox, no Azure and no Docker.
// A sandbox IoT Hub with a simulated fleet in three rings; release 1.0.0 goes to every device first
// (the fallback), then release 1.1.0 is rolled out canary → pilot → fleet with health gates by the
// real rollout engine over the real azure-iothub SDK and HTTPS, from the same inputs the action takes.
// Before each release, the model is registered in a sandbox Azure ML workspace (blobs in Azurite), so
// the module twin carries a real model version and URI; registering unchanged content again uploads
// nothing. It prints the gate's progress lines, then the report the job summary shows, as text.
// `--fail <ring>` makes that ring's devices crash-loop on the new image: the gate fails and the
// release is rolled back by itself; the demo then exits with 1, as the failed step would.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseInputs } from '../action/parse-inputs.js';
import { manifestSummary } from '../edge/index.js';
import { consoleLogger } from '../logger.js';
import { type RegisteredModel, registerModel } from '../model/register-model.js';
import { runRollout } from '../rollout/engine.js';
import type { RolloutDeps, RolloutResult } from '../rollout/engine-types.js';
import { renderReportText } from '../rollout/report.js';
import { rolloutStageInputs } from '../rollout/rollout-inputs.js';
import { SdkHubClient } from '../rollout/sdk-hub-client.js';
import { type SandboxAml, startSandboxAml } from '../sandbox/aml/index.js';
import { type SandboxHub, startSandboxHub } from '../sandbox/index.js';
import { persistentCa, trustedOrRerun } from '../sandbox/trust.js';
import { rolloutOutputs } from '../stages/rollout.js';

export const DEMO_HELP = `ml-to-iot-edge demo [flags]

Runs the main job on a local sandbox IoT Hub with a simulated fleet: no Azure, no Docker. Release
1.0.0 goes to every device first (the fallback); release 1.1.0 is then rolled out canary → pilot →
fleet with health gates, and the report the job summary shows is printed.

  --fail <ring>         that ring's devices crash-loop on the new image: watch the automatic rollback
                        (the demo then exits with 1, as the failed workflow step would)
  --rings <spec>        ring sizes of the simulated fleet (default canary=5,pilot=15,fleet=30)
  --time-scale <n>      sandbox seconds per real second (default 300: a 5-minute soak takes 1 s)
  --out <dir>           where the manifest is written (default tmp/demo)`;

interface DemoIo {
  log(line: string): void;
  error(line: string): void;
}

const APP = 'vision';
// Fixed demo digests: the image stage produces the real ones.
const IMAGES = {
  '1.0.0': `sandbox.local/vision@sha256:${'10'.repeat(32)}`,
  '1.1.0': `sandbox.local/vision@sha256:${'11'.repeat(32)}`,
} as const;
const RUN = {
  repository: 'acme/vision',
  commit: '5e1f0c2a9b7d4e3f8a6c1b0d2e4f6a8c0b1d3e5f',
  runId: '1001',
  runUrl: 'https://github.com/acme/vision/actions/runs/1001',
};

const EXAMPLE_MODEL = join('test', 'fixtures', 'model', 'example-model');

/**
 * Registers the model of `release` in the sandbox workspace: the example model for 1.0.0, the same
 * with retrained weights (one changed file) for 1.1.0. Each is registered twice to show that the
 * second run uploads nothing and returns the same version.
 */
async function registerRelease(
  aml: SandboxAml,
  io: DemoIo,
  release: string,
  outDir: string,
): Promise<RegisteredModel> {
  let modelPath = EXAMPLE_MODEL;
  if (release !== '1.0.0') {
    modelPath = join(outDir, `model-${release}`);
    cpSync(EXAMPLE_MODEL, modelPath, { recursive: true });
    writeFileSync(join(modelPath, 'model.onnx'), `retrained weights for ${release}\n`, { flag: 'a' });
  }
  const options = {
    modelPath,
    modelName: APP,
    subscriptionId: aml.subscriptionId,
    resourceGroup: aml.resourceGroup,
    workspace: aml.workspace,
    armEndpoint: aml.armEndpoint,
    release,
    commit: RUN.commit,
  };
  const deps = {
    credential: aml.credential(),
    logger: consoleLogger((line) => io.error(`  ${line}`)),
    mask: () => undefined,
  };
  const model = await registerModel(options, deps);
  const again = await registerModel(options, { ...deps, logger: consoleLogger(() => undefined) });
  io.error(
    `  model ${model.name} version ${model.version} (${model.uploadedBytes} bytes uploaded); ` +
      `registered again: version ${again.version}, ${again.uploadedBytes} bytes uploaded`,
  );
  return model;
}

/** The rollout's inputs, as a workflow would give them to the action. */
function releaseInputs(
  hub: SandboxHub,
  release: keyof typeof IMAGES,
  model: RegisteredModel,
  rings: string | undefined,
): Record<string, string> {
  return {
    app: APP,
    release,
    'iothub-connection-string': hub.connectionString,
    'image-ref': IMAGES[release],
    'model-name': model.name,
    'model-version': model.version,
    'model-uri': model.uri,
    ...(rings ? { rings } : {}),
    ...(release === '1.0.0' ? { 'first-release': 'true' } : {}),
  };
}

/** The first release, on every device at once: one ring, the app's fallback from then on. */
const FIRST_RELEASE_RINGS = `rings:
  - name: everyone
    target-condition: tags.ring='canary' OR tags.ring='pilot' OR tags.ring='fleet'
    gate: {soak: 1m}`;

function prepare(hub: SandboxHub, version: keyof typeof IMAGES, model: RegisteredModel, rings?: string) {
  const given = releaseInputs(hub, version, model, rings);
  return rolloutStageInputs(
    parseInputs('rollout', (name) => given[name]),
    { run: { ...RUN, runId: `${RUN.runId}-${version}` }, mask: () => undefined, readFile: () => '' },
  );
}

async function roll(
  hub: SandboxHub,
  io: DemoIo,
  prepared: ReturnType<typeof prepare>,
): Promise<RolloutResult> {
  const logger = consoleLogger((line) => io.error(`  ${line}`));
  const client = SdkHubClient.fromConnectionString(hub.connectionString, {
    sleep: (ms) => hub.clock.sleep(ms),
    now: () => hub.clock.now(),
    logger,
  });
  const deps: RolloutDeps = { hub: client, clock: hub.clock, logger };
  return runRollout(prepared.command, prepared.options, deps);
}

function writeManifest(io: DemoIo, manifest: unknown, outDir: string): void {
  const file = join(outDir, 'deployment.json');
  writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
  for (const line of manifestSummary(manifest as Parameters<typeof manifestSummary>[0]).lines)
    io.error(`  ${line}`);
  io.error(`  validated against the IoT Edge schemas and written to ${file}`);
}

export async function runDemoCommand(argv: string[], io: DemoIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rings: { type: 'string' },
      'time-scale': { type: 'string' },
      out: { type: 'string' },
      fail: { type: 'string' },
    },
    strict: true,
  });
  const timeScale = Number(values['time-scale'] ?? 300);
  if (!(timeScale > 0))
    throw new Error(`--time-scale must be a positive number, got '${values['time-scale']}'`);
  const fleet = values.rings ?? 'canary=5,pilot=15,fleet=30';
  const failing = values.fail;
  if (failing !== undefined && !['canary', 'pilot', 'fleet'].includes(failing)) {
    throw new Error(`--fail takes canary, pilot or fleet, got '${failing}'`);
  }
  const ca = await persistentCa();
  const trusted = await trustedOrRerun(ca.file);
  if (trusted !== true) return trusted;

  io.error('== Starting the sandbox IoT Hub');
  const behaviours = failing ? [`${failing}:crash-loop@${IMAGES['1.1.0'].split('/').pop()}`] : [];
  const hub = await startSandboxHub({ devices: fleet, timeScale, ca, behaviours });
  const outDir = resolve(values.out ?? join('tmp', 'demo'));
  mkdirSync(outDir, { recursive: true });
  let aml: SandboxAml | undefined;
  const started = Date.now();
  try {
    io.error('== Starting the sandbox Azure ML workspace (blobs in Azurite)');
    aml = await startSandboxAml({ ca });
    io.error(`  workspace ${aml.workspace} at ${aml.armEndpoint}`);
    io.error(
      `sandbox hub on https://${hub.hostName} with ${hub.model.deviceCount} edge devices, S1 throttling, time x${timeScale}` +
        (failing ? `; the ${failing} devices will crash-loop on release 1.1.0 (--fail ${failing})` : ''),
    );

    io.error('== Release 1.0.0: register the model');
    const firstModel = await registerRelease(aml, io, '1.0.0', outDir);
    io.error('== Release 1.0.0 to every device: the fallback for what follows (first release, one ring)');
    const first = await roll(hub, io, prepare(hub, '1.0.0', firstModel, FIRST_RELEASE_RINGS));
    io.error(`  release 1.0.0: ${first.state}`);

    io.error('== Release 1.1.0: register the retrained model');
    const model = await registerRelease(aml, io, '1.1.0', outDir);
    io.error('== Release 1.1.0: the deployment manifest');
    const prepared = prepare(hub, '1.1.0', model);
    writeManifest(io, prepared.options.content, outDir);
    io.error('== Release 1.1.0: canary → pilot → fleet, with health gates');
    const result = await roll(hub, io, prepared);

    io.log('');
    io.log('== The report (the job summary, as text)');
    io.log(renderReportText(result));
    io.log('');
    io.log(`outputs: ${JSON.stringify(rolloutOutputs(result))}`);
    const counters = hub.counters();
    io.log(
      `sandbox hub: ${counters.writes} writes, ${counters.queries} queries, ${counters.reads} reads, ${counters.throttled} throttled, ` +
        `${counters.evaluations} evaluation cycles; ${((Date.now() - started) / 1000).toFixed(1)} s real time`,
    );
    if (result.failure) {
      io.error(
        failing
          ? `\nAs asked (--fail ${failing}), the ${failing} ring failed its gate and release 1.1.0 was rolled back by itself. ` +
              'Exit code 1: a workflow step fails the same way after a rollback.'
          : `\nThe rollout failed: ${result.failure}`,
      );
      return 1;
    }
    return 0;
  } finally {
    await aml?.stop();
    await hub.stop();
  }
}
