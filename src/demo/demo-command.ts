// `ml-to-iot-edge demo` (`npm run demo`): the main job on the local sandbox, no Azure and no Docker.
// Today: start a sandbox hub with a small fleet, write a validated manifest, create an IoT Edge
// deployment for the canary ring with the real azure-iothub SDK, and print its metrics as the
// devices report — live queries first, then the hub's own 5-minute counts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import iothub from 'azure-iothub';
import { generateManifest, manifestSummary, validateManifest } from '../edge/index.js';
import { type SandboxHub, startSandboxHub } from '../sandbox/index.js';
import { persistentCa, trustedOrRerun } from '../sandbox/trust.js';

export const DEMO_HELP = `ml-to-iot-edge demo [flags]

Runs the main job on a local sandbox IoT Hub with a simulated fleet: no Azure, no Docker.

  --rings <spec>        ring sizes of the simulated fleet (default canary=5,pilot=15,fleet=30)
  --time-scale <n>      sandbox seconds per real second (default 60: a 5-minute hub cycle takes 5 s)
  --out <dir>           where the manifest is written (default tmp/demo)`;

interface DemoIo {
  log(line: string): void;
  error(line: string): void;
}

const APP = 'vision';
const RELEASE = '1.0.0';
const DEPLOYMENT_ID = 'vision-1-0-0';
// A fixed demo digest: the image stage (issue 5/6) will produce the real one.
const IMAGE = `sandbox.local/vision@sha256:${'5e'.repeat(32)}`;

interface Metrics {
  targetedCount: number;
  appliedCount: number;
  reportedSuccessfulCount: number;
  reportedFailedCount: number;
}

const METRIC_NAMES: (keyof Metrics)[] = ['targetedCount', 'appliedCount', 'reportedSuccessfulCount', 'reportedFailedCount'];

/** Runs a metric query live, as `az iot edge deployment show-metric` does, and counts the devices. */
async function countLive(registry: iothub.Registry, sql: string): Promise<number> {
  const query = registry.createQuery(sql, 1000);
  let count = 0;
  do {
    // Pass the continuation token: the promise form of next() without one restarts at page 1.
    const page = await query.next(query.continuationToken);
    count += (page.result as unknown[]).length;
  } while (query.hasMoreResults);
  return count;
}

async function liveMetrics(registry: iothub.Registry, queries: Record<string, string>): Promise<Metrics> {
  const values = await Promise.all(METRIC_NAMES.map((name) => countLive(registry, queries[name]!)));
  return Object.fromEntries(METRIC_NAMES.map((name, i) => [name, values[i]])) as unknown as Metrics;
}

function formatMetrics(m: Metrics): string {
  return `targeted ${m.targetedCount}, applied ${m.appliedCount}, reported success ${m.reportedSuccessfulCount}, reported failure ${m.reportedFailedCount}`;
}

function sandboxMinutes(hub: SandboxHub, since: number): string {
  return `${((hub.clock.now() - since) / 60_000).toFixed(1).padStart(5)} min`;
}

export async function runDemoCommand(argv: string[], io: DemoIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { rings: { type: 'string' }, 'time-scale': { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  const timeScale = Number(values['time-scale'] ?? 60);
  if (!(timeScale > 0)) throw new Error(`--time-scale must be a positive number, got '${values['time-scale']}'`);
  const ca = await persistentCa();
  const trusted = await trustedOrRerun(ca.file);
  if (trusted !== true) return trusted;

  io.error('== Starting the sandbox IoT Hub');
  const hub = await startSandboxHub({ devices: values.rings ?? 'canary=5,pilot=15,fleet=30', timeScale, ca });
  try {
    io.error(`sandbox hub on https://${hub.hostName} with ${hub.model.deviceCount} edge devices (time x${timeScale})`);

    io.error('== Writing the deployment manifest');
    const manifest = generateManifest({
      module: {
        name: 'model',
        image: IMAGE,
        version: RELEASE,
        env: { MODEL_NAME: APP },
        model: { name: APP, version: '1', uri: `azureml://registries/sandbox/models/${APP}/versions/1` },
      },
    });
    validateManifest(manifest, { requireDigest: true });
    const outDir = resolve(values.out ?? join('tmp', 'demo'));
    mkdirSync(outDir, { recursive: true });
    const manifestFile = join(outDir, 'deployment.json');
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
    for (const line of manifestSummary(manifest).lines) io.error(`  ${line}`);
    io.error(`validated against the IoT Edge schemas and written to ${manifestFile}`);

    io.error(`== Creating deployment ${DEPLOYMENT_ID} for the canary ring`);
    const registry = iothub.Registry.fromConnectionString(hub.connectionString);
    const started = hub.clock.now();
    await registry.addConfiguration({
      id: DEPLOYMENT_ID,
      schemaVersion: '1.0',
      labels: { app: APP, release: RELEASE, ring: 'canary' },
      content: manifest as never,
      targetCondition: "tags.ring='canary'",
      priority: 10,
    });
    const { responseBody: created } = await registry.getConfiguration(DEPLOYMENT_ID);
    const queries = created.systemMetrics!.queries as Record<string, string>;

    io.error('== Devices reporting (live metric queries)');
    let live = await liveMetrics(registry, queries);
    for (let poll = 0; poll < 60; poll++) {
      io.log(`${sandboxMinutes(hub, started)}  live: ${formatMetrics(live)}`);
      if (live.targetedCount > 0 && live.reportedSuccessfulCount + live.reportedFailedCount === live.targetedCount) break;
      await hub.clock.sleep(30_000);
      live = await liveMetrics(registry, queries);
    }

    io.error("== The hub's own counts (refreshed every 5 minutes, stale in between)");
    await hub.clock.sleep(5 * 60_000);
    const { responseBody: after } = await registry.getConfiguration(DEPLOYMENT_ID);
    const cached = after.systemMetrics!.results as unknown as Metrics;
    io.log(`${sandboxMinutes(hub, started)}  hub:  ${formatMetrics(cached)}`);
    io.log(`hub writes ${hub.counters().writes}, queries ${hub.counters().queries}, evaluation cycles ${hub.counters().evaluations}`);
    return live.reportedSuccessfulCount === live.targetedCount ? 0 : 1;
  } finally {
    await hub.stop();
  }
}
