// `ml-to-iot-edge sandbox`: runs a sandbox IoT Hub with a simulated ring fleet until Ctrl+C, for the
// demo and for trying the CLI or the actions locally. Once ready it prints ONE line of JSON on stdout
// (connection string, CA file, host, fleet), so scripts can read it; everything else goes to stderr.
import { parseArgs } from 'node:util';
import {
  FleetSpecError,
  parseBehaviourRule,
  parseRingSizes,
  type BehaviourRule,
  type RingSize,
} from '../sandbox/fleet.js';
import { startSandboxHub, type SandboxHub, type SandboxHubOptions } from '../sandbox/index.js';
import { persistentCa } from '../sandbox/trust.js';

export interface SandboxCommandOutput {
  log(line: string): void;
  error(line: string): void;
}

export interface SandboxCommandHooks {
  /** Resolves when the hub should stop; default: the first SIGINT or SIGTERM. */
  untilStopped?: Promise<unknown>;
  start?: (options: SandboxHubOptions) => Promise<SandboxHub>;
  /** The CA that signs the hub's certificate; default one kept on disk for a week (trust.ts). */
  ca?: () => Promise<SandboxHubOptions['ca']>;
}

export const DEFAULT_RINGS = 'canary=5,pilot=45,fleet=150';

export const SANDBOX_HELP = `ml-to-iot-edge sandbox [flags]

Runs a local IoT Hub (HTTPS on port 443 of a loopback address) with simulated IoT Edge devices, until
Ctrl+C. Prints one line of JSON with connectionString and caFile; point clients at it with
NODE_EXTRA_CA_CERTS=<caFile>. The CA stays the same across runs for a week.

  --rings <ring=count,...>   rings in rollout order, devices tagged tags.ring (default ${DEFAULT_RINGS})
  --devices <n>              number of devices; alone: n devices in one ring 'fleet'; with --rings: must equal their sum
  --behaviour <rule>         e.g. canary:crash-loop, fleet/10:offline, id=edge-pilot-0003:reject-manifest,
                             canary:crash-loop@model:2.0.0 (only while that image runs); repeatable, later rules win
  --time-scale <x>           sandbox seconds per real second (default 1; 60 makes the 5-minute cycle 5 s)
  --host <address>           loopback address to listen on (default: a free one of 127.0.0.2-127.0.0.254)
  --port <port>              default 443, the only port the azure-iothub SDK connects to
  --units <n>                IoT Hub units; multiplies the per-minute throttles (default 1)
  --no-throttle              switch off the S1-like throttles
  --request-log <file>       append one JSON line per request (no credentials)`;

export class SandboxUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxUsageError';
  }
}

export interface SandboxCommandOptions {
  rings: RingSize[];
  behaviours: BehaviourRule[];
  timeScale: number;
  host?: string;
  port: number;
  units: number;
  throttle: boolean;
  requestLog?: string;
}

function wholeNumber(
  flag: string,
  text: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new SandboxUsageError(`--${flag} must be a whole number ${range}, got '${text}'`);
  }
  return value;
}

function fleetFlag<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof FleetSpecError) throw new SandboxUsageError(`--${flag}: ${error.message}`);
    throw error;
  }
}

function ringsFrom(devicesText: string | undefined, ringsText: string | undefined): RingSize[] {
  const devices = wholeNumber('devices', devicesText, 1);
  if (ringsText === undefined) {
    return devices === undefined ? parseRingSizes(DEFAULT_RINGS) : [{ name: 'fleet', count: devices }];
  }
  const rings = fleetFlag('rings', () => parseRingSizes(ringsText));
  const total = rings.reduce((sum, ring) => sum + ring.count, 0);
  if (devices !== undefined && devices !== total) {
    throw new SandboxUsageError(
      `--devices ${devices} does not match --rings ${ringsText}, which adds up to ${total}: ` +
        `drop --devices or make the ring counts add up to it`,
    );
  }
  return rings;
}

/** Reads the command's flags; a SandboxUsageError names the flag and the fix. */
export function parseSandboxArgs(argv: string[]): SandboxCommandOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        devices: { type: 'string' },
        rings: { type: 'string' },
        behaviour: { type: 'string', multiple: true },
        'time-scale': { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        units: { type: 'string' },
        'no-throttle': { type: 'boolean' },
        'request-log': { type: 'string' },
      },
    }));
  } catch (error) {
    throw new SandboxUsageError(
      `${(error as Error).message}. Run 'ml-to-iot-edge sandbox --help' for the flags.`,
    );
  }
  const timeScaleText = values['time-scale'];
  const timeScale = timeScaleText === undefined ? 1 : Number(timeScaleText);
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new SandboxUsageError(`--time-scale must be a positive number (e.g. 60), got '${timeScaleText}'`);
  }
  const rings = ringsFrom(values.devices, values.rings);
  return {
    rings,
    behaviours: (values.behaviour ?? []).map((rule) =>
      fleetFlag('behaviour', () => parseBehaviourRule(rule)),
    ),
    timeScale,
    host: values.host,
    port: wholeNumber('port', values.port, 1, 65535) ?? 443,
    units: wholeNumber('units', values.units, 1) ?? 1,
    throttle: !values['no-throttle'],
    requestLog: values['request-log'],
  };
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export async function runSandboxCommand(
  argv: string[],
  out: SandboxCommandOutput,
  hooks: SandboxCommandHooks = {},
): Promise<number> {
  let options: SandboxCommandOptions;
  try {
    options = parseSandboxArgs(argv);
  } catch (error) {
    if (!(error instanceof SandboxUsageError)) throw error;
    out.error(`error: ${error.message}`);
    return 2;
  }
  const ringSpec = options.rings.map((ring) => `${ring.name}=${ring.count}`).join(',');
  let hub: SandboxHub;
  try {
    hub = await (hooks.start ?? startSandboxHub)({
      ca: await (hooks.ca ?? persistentCa)(),
      devices: ringSpec,
      behaviours: options.behaviours,
      timeScale: options.timeScale,
      host: options.host,
      port: options.port,
      units: options.units,
      throttle: options.throttle,
      requestLog: options.requestLog,
    });
  } catch (error) {
    out.error(`error: the sandbox hub did not start: ${(error as Error).message}`);
    return 1;
  }
  const deviceCount = options.rings.reduce((sum, ring) => sum + ring.count, 0);
  out.log(
    JSON.stringify({
      hostName: hub.hostName,
      port: hub.port,
      connectionString: hub.connectionString,
      caFile: hub.caFile,
      devices: deviceCount,
      rings: Object.fromEntries(options.rings.map((ring) => [ring.name, ring.count])),
      timeScale: options.timeScale,
      throttle: options.throttle,
      units: options.units,
    }),
  );
  out.error(
    `sandbox hub ready on https://${hub.hostName}:${hub.port} with ${deviceCount} devices; ` +
      `clients need NODE_EXTRA_CA_CERTS=${hub.caFile}. Ctrl+C stops it.`,
  );
  await (hooks.untilStopped ?? untilSignal());
  await hub.stop();
  out.error('sandbox hub stopped');
  return 0;
}
