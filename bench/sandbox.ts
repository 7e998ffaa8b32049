// `npm run bench:sandbox`: how fast the sandbox hub answers queries and how much memory its fleet
// takes, for 10k and 100k simulated IoT Edge devices. Prints figures; asserts nothing.
import { ManualClock } from '../src/sandbox/clock.js';
import { ringFleet } from '../src/sandbox/fleet.js';
import { HubModel } from '../src/sandbox/hub-model.js';
import { edgeContent } from '../test/support/edge-deployments.js';

const SIZES = process.argv.slice(2).map(Number).filter(Boolean);
const FLEETS = SIZES.length ? SIZES : [10_000, 100_000];
const SECONDS_PER_QUERY = 1.5;
const DEPLOYMENT = 'bench-1-0-0';

function heapMb(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:sandbox does)');
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
}

const QUERIES: Record<string, string> = {
  'targeted (devices, tag condition)': `SELECT COUNT() AS n FROM devices WHERE capabilities.iotEdge = true AND (tags.ring = 'canary' OR tags.ring = 'pilot')`,
  'applied (modules)': `SELECT COUNT() AS n FROM devices.modules WHERE moduleId = '$edgeAgent' AND configurations.[[${DEPLOYMENT}]].status = 'Applied'`,
  'reported success (modules, path = path)': `SELECT COUNT() AS n FROM devices.modules WHERE moduleId = '$edgeAgent' AND configurations.[[${DEPLOYMENT}]].status = 'Applied' AND properties.desired.$version = properties.reported.lastDesiredVersion AND properties.reported.lastDesiredStatus.code = 200`,
  'module health (modules)': `SELECT COUNT() AS n FROM devices.modules WHERE moduleId = '$edgeAgent' AND properties.reported.modules.model.runtimeStatus != 'running'`,
};

async function benchFleet(devices: number): Promise<void> {
  const before = heapMb();
  const clock = new ManualClock();
  const hub = new HubModel({ clock, hostName: 'bench.local' });
  const rings = [
    { name: 'canary', count: Math.round(devices * 0.01) },
    { name: 'pilot', count: Math.round(devices * 0.09) },
  ];
  rings.push({ name: 'fleet', count: devices - rings[0]!.count - rings[1]!.count });
  hub.addEdgeDevices(ringFleet({ rings, architectures: { x86_64: 2, aarch64: 1, armv7l: 1 } }));
  const idle = heapMb() - before;

  hub.createConfiguration(DEPLOYMENT, {
    id: DEPLOYMENT,
    schemaVersion: '1.0',
    content: edgeContent('sandbox.local/model@sha256:' + 'a'.repeat(64), 'model'),
    targetCondition: "tags.ring='canary' OR tags.ring='pilot' OR tags.ring='fleet'",
    priority: 10,
    labels: {},
  });
  let started = performance.now();
  hub.runEvaluation();
  const cycleMs = performance.now() - started;
  await clock.advance(10 * 60_000); // every simulated edge agent reports
  const deployed = heapMb() - before;

  console.log(
    `\n${devices.toLocaleString('en')} devices (${(devices * 3).toLocaleString('en')} module twins)`,
  );
  console.log(
    `  memory per 10k devices: ${((idle * 10_000) / devices).toFixed(1)} MB idle, ${((deployed * 10_000) / devices).toFixed(1)} MB with a deployment applied and reported`,
  );
  console.log(`  one evaluation cycle (targets, priorities, apply): ${cycleMs.toFixed(0)} ms`);
  for (const [name, sql] of Object.entries(QUERIES)) {
    const isModules = sql.includes('devices.modules');
    const twins = isModules ? devices * 3 : devices;
    let runs = 0;
    let result: unknown;
    started = performance.now();
    while (performance.now() - started < SECONDS_PER_QUERY * 1000) {
      result = hub.query(sql, 100).items[0];
      runs++;
    }
    const seconds = (performance.now() - started) / 1000;
    const count = (result as { n: number }).n;
    console.log(
      `  ${name}: ${(runs / seconds).toFixed(1)} queries/s, ${((runs * twins) / seconds / 1e6).toFixed(2)} M twin evaluations/s (count ${count})`,
    );
  }
  hub.stop();
}

for (const devices of FLEETS) await benchFleet(devices);
