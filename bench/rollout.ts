// `npm run bench:rollout`: hub writes, hub queries and sandbox time for a release through canary →
// pilot → fleet (1% / 9% / 90%) on 1k, 10k and 100k simulated IoT Edge devices, two ways:
//   - rings: this project's rollout engine, one deployment widened ring by ring, gated by COUNT() queries;
//   - per device: `applyConfigurationContent` on every device, which is what `az iot edge set-modules`
//     in a loop does, ring by ring, waiting for the ring's devices to report and soaking as long.
// Both run on a sandbox hub with S1 throttling (1 unit) over real HTTPS with the real SDK. The sandbox
// clock is a manual clock that moves only while no hub call is in flight (every client is asleep), so
// sandbox time counts what a real hub would make a client wait — evaluation cycles, device reports,
// soak, throttling — and not how fast this machine runs the simulation.
// The per-device approach runs for real at 1k; for larger fleets its figures are extrapolated from
// the 1k measurements (said so in the output). Prints figures; asserts nothing.
import { performance } from 'node:perf_hooks';
import iothub from 'azure-iothub';
import { generateManifest } from '../src/edge/index.js';
import { consoleLogger, type Logger } from '../src/logger.js';
import { runRollout } from '../src/rollout/engine.js';
import type { HubClient } from '../src/rollout/hub-client.js';
import { observationQueries, queriesPerObservation } from '../src/rollout/observe.js';
import { formatDuration } from '../src/rollout/quantities.js';
import { readCount } from '../src/rollout/queries.js';
import { parseRings } from '../src/rollout/rings.js';
import { SdkHubClient } from '../src/rollout/sdk-hub-client.js';
import { ManualClock } from '../src/sandbox/clock.js';
import { startSandboxHub, type SandboxHub } from '../src/sandbox/index.js';
import { persistentCa, trustedOrRerun } from '../src/sandbox/trust.js';

const SIZES = process.argv.slice(2).map(Number).filter(Boolean);
const FLEETS = SIZES.length ? SIZES : [1_000, 10_000, 100_000];
const MEASURED_PER_DEVICE = 1_000;
const IMAGE = `bench.local/model@sha256:${'b'.repeat(64)}`;
const RINGS = parseRings(undefined); // canary, pilot, fleet by tags.ring; default gates (95%, soak 5m, timeout 30m)
const GATE = RINGS.rings[0]!.gate;
const POLL_MS = 54_000; // what the engine polls at on one S1 unit
const PAGE_SIZE = 1000;
const CONCURRENCY = 8;
/** What one observation of the rings gate costs (observe.ts), for the output. */
const queriesPerPoll = queriesPerObservation(
  observationQueries({
    deploymentId: 'bench-1_0_0',
    condition: 'x',
    moduleName: 'model',
    maxRestarts: 2,
    requireRunning: true,
  }),
);

const content = generateManifest({
  module: {
    name: 'model',
    image: IMAGE,
    version: '1.0.0',
    model: { name: 'model', version: '1', uri: 'azureml:model:1' },
  },
});

function ringSizes(devices: number): Array<{ name: string; count: number }> {
  const canary = Math.max(1, Math.round(devices * 0.01));
  const pilot = Math.max(1, Math.round(devices * 0.09));
  return [
    { name: 'canary', count: canary },
    { name: 'pilot', count: pilot },
    { name: 'fleet', count: devices - canary - pilot },
  ];
}

/** Moves the manual clock 1 s at a time whenever nothing is in flight (every client is asleep). */
class IdleTimeDriver {
  active = 0;
  private running = true;
  readonly done: Promise<void>;

  constructor(readonly clock: ManualClock) {
    this.done = this.loop();
  }

  async track<T>(call: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await call();
    } finally {
      this.active--;
    }
  }

  /** A sleep inside a tracked call (the client's retry backoff): it does not count as activity. */
  async sleep(ms: number): Promise<void> {
    this.active--;
    try {
      await this.clock.sleep(ms);
    } finally {
      this.active++;
    }
  }

  stop(): Promise<void> {
    this.running = false;
    return this.done;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.active === 0) await this.clock.advance(1000);
    }
  }
}

/** A HubClient whose calls count as activity for the driver. */
function tracked(hub: HubClient, driver: IdleTimeDriver): HubClient {
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A) =>
      driver.track(() => fn(...args));
  return {
    get hostName() {
      return hub.hostName;
    },
    get calls() {
      return hub.calls;
    },
    listDeployments: wrap(() => hub.listDeployments()),
    getDeployment: wrap((id: string) => hub.getDeployment(id)),
    createDeployment: wrap((d: Parameters<HubClient['createDeployment']>[0]) => hub.createDeployment(d)),
    updateDeployment: wrap(
      (c: Parameters<HubClient['updateDeployment']>[0], u: Parameters<HubClient['updateDeployment']>[1]) =>
        hub.updateDeployment(c, u),
    ),
    deleteDeployment: wrap((id: string) => hub.deleteDeployment(id)),
    query: wrap((sql: string) => hub.query(sql)),
    testQueries: wrap((c: string, m?: Record<string, string>) => hub.testQueries(c, m)),
  };
}

/** The hub's counters and the time, sandbox and real, since `started`. */
function figuresSince(hub: SandboxHub, started: { sandbox: number; real: number }): Figures {
  const counters = hub.counters();
  return {
    writes: counters.writes,
    queries: counters.queries,
    throttled: counters.throttled,
    sandboxMs: hub.clock.now() - started.sandbox,
    realMs: performance.now() - started.real,
  };
}

interface Figures {
  writes: number;
  queries: number;
  throttled?: number;
  sandboxMs: number;
  realMs: number;
  /** Per-device only: the sandbox time of the writes alone. */
  writeMs?: number;
  pollQueries?: number;
  extrapolated?: boolean;
}

async function sandbox(
  devices: number,
): Promise<{ hub: SandboxHub; clock: ManualClock; driver: IdleTimeDriver }> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const spec = ringSizes(devices)
    .map(({ name, count }) => `${name}=${count}`)
    .join(',');
  const hub = await startSandboxHub({
    devices: spec,
    clock,
    throttle: true,
    units: 1,
    ca: await persistentCa(),
  });
  return { hub, clock, driver: new IdleTimeDriver(clock) };
}

function client(hub: SandboxHub, driver: IdleTimeDriver, logger: Logger): SdkHubClient {
  return SdkHubClient.fromConnectionString(hub.connectionString, {
    sleep: (ms) => driver.sleep(ms),
    now: () => hub.clock.now(),
    logger,
  });
}

const quiet: Logger = consoleLogger(() => undefined);

async function withRings(devices: number): Promise<Figures> {
  const { hub, clock, driver } = await sandbox(devices);
  const started = { sandbox: clock.now(), real: performance.now() };
  try {
    const result = await runRollout(
      'auto',
      {
        app: 'bench',
        release: '1.0.0',
        rings: RINGS,
        content: content as never,
        moduleName: 'model',
        imagePlatforms: ['linux/amd64'],
        firstRelease: true,
        runId: 'bench',
      },
      { hub: tracked(client(hub, driver, quiet), driver), clock, logger: quiet },
    );
    if (result.state !== 'completed')
      throw new Error(`the rollout ended ${result.state}: ${result.failure ?? ''}`);
    return figuresSince(hub, started);
  } finally {
    await driver.stop();
    await hub.stop();
  }
}

const ON_IMAGE = `moduleId = '$edgeAgent' AND properties.desired.modules.model.settings.image = '${IMAGE}'`;
const REPORTED = `${ON_IMAGE} AND properties.desired.$version = properties.reported.lastDesiredVersion`;
const MODULE = 'properties.reported.modules.model';
/** The per-device gate's health queries: what the rings gate asks, keyed on the image (there is no deployment id). */
const HEALTH = {
  success: `${REPORTED} AND properties.reported.lastDesiredStatus.code = 200`,
  failure: `${REPORTED} AND properties.reported.lastDesiredStatus.code != 200`,
  notRunning: `${REPORTED} AND properties.reported.lastDesiredStatus.code = 200 AND (NOT IS_DEFINED(${MODULE}.runtimeStatus) OR ${MODULE}.runtimeStatus != 'running')`,
  restarts: `${REPORTED} AND properties.reported.lastDesiredStatus.code = 200 AND ${MODULE}.restartCount > ${GATE.health.maxRestarts}`,
  offline: `${ON_IMAGE} AND connectionState = 'Disconnected'`,
};

async function healthyDevices(hub: HubClient): Promise<number> {
  const count: Record<string, number> = {};
  for (const [name, sql] of Object.entries(HEALTH))
    count[name] = readCount(await hub.query(`SELECT COUNT() AS count FROM devices.modules WHERE ${sql}`));
  return count.success! - count.notRunning! - count.restarts!;
}

/** One call with the retries a script would add: on 429, wait for Retry-After (sandbox time). */
async function applyOnDevice(
  registry: iothub.Registry,
  driver: IdleTimeDriver,
  deviceId: string,
): Promise<void> {
  for (;;) {
    try {
      await driver.track(() => registry.applyConfigurationContentOnDevice(deviceId, content as never));
      return;
    } catch (error) {
      const response = (error as { response?: { statusCode?: number; headers?: Record<string, string> } })
        .response;
      if (response?.statusCode !== 429) throw error;
      await driver.clock.sleep(Number(response.headers?.['retry-after'] ?? 1) * 1000);
    }
  }
}

async function perDevice(devices: number): Promise<Figures> {
  const { hub, clock, driver } = await sandbox(devices);
  const sdk = client(hub, driver, quiet);
  const hubClient = tracked(sdk, driver);
  const registry = iothub.Registry.fromConnectionString(hub.connectionString);
  const started = { sandbox: clock.now(), real: performance.now() };
  let writeMs = 0;
  let pollQueries = 0;
  let reached = 0;
  try {
    for (const ring of ringSizes(devices)) {
      const ids = (
        await hubClient.query(`SELECT deviceId FROM devices WHERE tags.ring = '${ring.name}'`)
      ).map((row) => String(row.deviceId));
      const writesStarted = clock.now();
      for (let next = 0; next < ids.length;) {
        const batch = ids.slice(next, next + CONCURRENCY);
        next += batch.length;
        await Promise.all(batch.map((id) => applyOnDevice(registry, driver, id)));
      }
      writeMs += clock.now() - writesStarted;
      reached += ids.length;
      // The same gate: 95% of the devices so far healthy on the new image, then the soak.
      const needed = Math.ceil(GATE.minSuccess * reached - 1e-9);
      for (let soakStart: number | undefined; ;) {
        pollQueries++;
        const healthy = await healthyDevices(hubClient);
        if (healthy >= needed) soakStart ??= clock.now();
        else soakStart = undefined;
        if (soakStart !== undefined && clock.now() - soakStart >= GATE.soakMs) break;
        await clock.sleep(POLL_MS);
      }
    }
    return { ...figuresSince(hub, started), writeMs, pollQueries };
  } finally {
    await driver.stop();
    await hub.stop();
  }
}

/** Per-device figures for `devices` from the run on `measuredDevices`: writes and list pages scale, the waits do not. */
function extrapolate(measured: Figures, measuredDevices: number, devices: number): Figures {
  const pages = (n: number) =>
    ringSizes(n).reduce((sum, ring) => sum + Math.max(1, Math.ceil(ring.count / PAGE_SIZE)), 0);
  const writeMsPerDevice = measured.writeMs! / measuredDevices;
  const waitMs = measured.sandboxMs - measured.writeMs!;
  return {
    writes: devices,
    queries: measured.queries - pages(measuredDevices) + pages(devices),
    sandboxMs: writeMsPerDevice * devices + waitMs,
    realMs: Number.NaN,
    extrapolated: true,
  };
}

const number = (n: number) => Math.round(n).toLocaleString('en');
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}×` : '—');

async function main(): Promise<number> {
  const trusted = await trustedOrRerun((await persistentCa()).file);
  if (trusted !== true) return trusted;
  console.log(
    'Release through canary (1%) → pilot (9%) → fleet (90%), S1 hub with 1 unit, default gates (95%, soak 5m)',
  );
  let measured: Figures | undefined;
  if (FLEETS.some((devices) => devices !== MEASURED_PER_DEVICE)) {
    process.stderr.write(`per device on ${number(MEASURED_PER_DEVICE)} devices (measured) …\n`);
    measured = await perDevice(MEASURED_PER_DEVICE);
  }
  const rows: string[][] = [];
  const ringFigures: Array<[number, Figures]> = [];
  for (const devices of FLEETS) {
    process.stderr.write(`rings on ${number(devices)} devices …\n`);
    const rings = await withRings(devices);
    ringFigures.push([devices, rings]);
    if (devices === MEASURED_PER_DEVICE && !measured) measured = await perDevice(devices);
    const device =
      devices === MEASURED_PER_DEVICE ? measured! : extrapolate(measured!, MEASURED_PER_DEVICE, devices);
    rows.push(
      [
        number(devices),
        'rings (one deployment)',
        number(rings.writes),
        number(rings.queries),
        formatDuration(rings.sandboxMs),
        `${(rings.realMs / 1000).toFixed(1)} s`,
      ],
      [
        '',
        `per device (${device.extrapolated ? `extrapolated from ${number(MEASURED_PER_DEVICE)}` : 'measured'})`,
        number(device.writes),
        number(device.queries),
        formatDuration(device.sandboxMs),
        device.extrapolated ? '—' : `${(device.realMs / 1000).toFixed(1)} s`,
      ],
      [
        '',
        'per device ÷ rings',
        ratio(device.writes, rings.writes),
        ratio(device.queries, rings.queries),
        ratio(device.sandboxMs, rings.sandboxMs),
        '',
      ],
    );
  }
  const headers = ['devices', 'approach', 'hub writes', 'hub queries', 'sandbox time', 'real time'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(['', line(headers), ...rows.map(line)].join('\n'));
  console.log('\nHub calls of the rings approach by fleet size (they do not grow with the fleet):');
  for (const [devices, figures] of ringFigures) {
    console.log(
      `  ${number(devices).padStart(8)} devices: ${figures.writes} writes, ${figures.queries} queries (${figures.throttled} answered 429 and retried)`,
    );
  }
  if (measured) {
    console.log(
      `\nPer device, measured on ${number(MEASURED_PER_DEVICE)}: ${number(measured.writes)} writes took ${formatDuration(measured.writeMs!)} of sandbox time ` +
        `(${(measured.writeMs! / MEASURED_PER_DEVICE).toFixed(0)} ms each; S1 allows 50 twin updates/s), ${measured.pollQueries} health polls. ` +
        'Larger fleets: one write per device at the same rate, ring listing pages of 1000, the same waits and soak.',
    );
  }
  console.log(
    `Each gate poll: ${queriesPerPoll} COUNT() queries for the rings gate (targeted, applied and overridden devices too), ` +
      `${Object.keys(HEALTH).length} for the per-device gate; both poll every ${formatDuration(POLL_MS)} or so.`,
  );
  return 0;
}

process.exitCode = await main();
