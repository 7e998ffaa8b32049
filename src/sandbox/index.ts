// The programmatic way to run a sandbox IoT Hub: an in-memory hub model with a simulated IoT Edge
// fleet behind an HTTPS front that the unchanged `azure-iothub` SDK talks to. Tests, the demo and the
// `sandbox` CLI command all start hubs through `startSandboxHub`.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, openSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessPolicy } from './auth.js';
import { ScaledClock, type Clock } from './clock.js';
import { FaultInjector } from './faults.js';
import { parseBehaviourRule, parseRingSizes, ringFleet, type BehaviourRule } from './fleet.js';
import { HubModel } from './hub-model.js';
import type { HubCounters } from './hub-types.js';
import { listenOnLoopback } from './loopback.js';
import { createHubRequestListener, emptyFrontCounters, type RequestLogEntry } from './server.js';
import { HubThrottle } from './throttle.js';
import { createCertificateAuthority, issueServerCertificate, type PemPair } from './tls.js';
import type { SimulatedDeviceSpec } from './twin-store.js';

/** The issuer whose bearer tokens a sandbox hub trusts unless told otherwise. */
export const SANDBOX_TOKEN_ISSUER = 'https://login.sandbox.ml-to-iot-edge.invalid/sandbox-tenant/v2.0';
export const DEFAULT_POLICY_NAME = 'iothubowner';

export interface SandboxHubOptions {
  /**
   * The simulated IoT Edge devices: specs, or a ring spec such as `canary=5,pilot=45,fleet=150`
   * (devices `edge-<ring>-0001`… tagged `tags.ring`, healthy unless `behaviours` say otherwise).
   */
  devices?: SimulatedDeviceSpec[] | string;
  /** Behaviour rules for a ring spec, as objects or CLI strings (`canary:crash-loop`, see fleet.ts). */
  behaviours?: (BehaviourRule | string)[];
  /** Sandbox seconds per real second (default 1); ignored when `clock` is given. */
  timeScale?: number;
  /** The sandbox clock, e.g. a ManualClock in tests that move time by hand. */
  clock?: Clock;
  /** IoT Hub units; multiplies the per-minute throttles (default 1). */
  units?: number;
  /** S1-like throttling (default true). */
  throttle?: boolean;
  /** Loopback address to listen on; default a free one of 127.0.0.2–127.0.0.254. */
  host?: string;
  /** Default 443, the only port `azure-iothub` connects to. */
  port?: number;
  /** CA that signs the server certificate; `file` is its certificate on disk if there already is one. */
  ca?: PemPair & { file?: string };
  /** The shared access policy in the connection string (default iothubowner with a random key). */
  keyName?: string;
  key?: string;
  /** Issuers (`iss`) of bearer tokens the hub accepts (default [SANDBOX_TOKEN_ISSUER]). */
  trustedIssuers?: string[];
  evaluationIntervalMs?: number;
  firstEvaluationDelayMs?: number;
  /** Seeds the model's and the fault injector's randomness (default 1). */
  seed?: number;
  /** Path of a JSON-lines request log (method, path, status, duration; never credentials). */
  requestLog?: string;
}

export interface SandboxHub {
  /** The loopback address the hub answers on, also the HostName clients use. */
  hostName: string;
  port: number;
  connectionString: string;
  /** The CA certificate clients must trust (NODE_EXTRA_CA_CERTS). */
  caFile: string;
  model: HubModel;
  clock: Clock;
  faults: FaultInjector;
  throttle: HubThrottle;
  counters(): HubCounters;
  stop(): Promise<void>;
}

interface CaFile {
  path: string;
  cleanup(): void;
}

function writeCaFile(ca: PemPair & { file?: string }): CaFile {
  if (ca.file) return { path: ca.file, cleanup: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-hub-ca-'));
  const path = join(dir, 'ca.pem');
  writeFileSync(path, ca.cert);
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function fleetOf(options: SandboxHubOptions): SimulatedDeviceSpec[] {
  const { devices, behaviours = [] } = options;
  if (typeof devices === 'string') {
    const rules = behaviours.map((rule) => (typeof rule === 'string' ? parseBehaviourRule(rule) : rule));
    return ringFleet({ rings: parseRingSizes(devices), behaviours: rules });
  }
  if (behaviours.length) {
    throw new Error(
      'behaviours apply to a ring spec (devices: "canary=5,…"); give device specs their own behaviour',
    );
  }
  return devices ?? [];
}

interface RequestLog {
  write(entry: RequestLogEntry): void;
  close(): Promise<void>;
}

/** Opens the log at once, so a path that cannot be written fails the start instead of a later request. */
function jsonLinesLog(path: string): RequestLog {
  const stream: WriteStream = createWriteStream(path, { fd: openSync(path, 'a') });
  stream.on('error', (error) => process.stderr.write(`sandbox hub: request log ${path}: ${error.message}\n`));
  return {
    write: (entry) => stream.write(JSON.stringify(entry) + '\n'),
    close: () => new Promise((resolve) => stream.end(resolve)),
  };
}

export async function startSandboxHub(options: SandboxHubOptions = {}): Promise<SandboxHub> {
  const fleet = fleetOf(options);
  const clock = options.clock ?? new ScaledClock(options.timeScale ?? 1);
  const port = options.port ?? 443;
  const policy: AccessPolicy = {
    keyName: options.keyName ?? DEFAULT_POLICY_NAME,
    key: options.key ?? randomBytes(32).toString('base64'),
  };
  const ca = options.ca ?? (await createCertificateAuthority());
  const throttle = new HubThrottle({ clock, units: options.units, enabled: options.throttle ?? true });
  const faults = new FaultInjector(options.seed ?? 1);
  const frontCounters = emptyFrontCounters();

  // The address (and so the host name and certificate) is only known once a port 443 is free: listen
  // first, then install the certificate before any client can know where to connect.
  const server = createServer();
  const hostName = await listenOnLoopback(server, port, options.host);
  let model: HubModel | undefined;
  let caFile: CaFile | undefined;
  let log: RequestLog | undefined;
  try {
    server.setSecureContext(await issueServerCertificate(ca, [hostName, 'localhost']));
    model = new HubModel({
      clock,
      hostName,
      evaluationIntervalMs: options.evaluationIntervalMs,
      firstEvaluationDelayMs: options.firstEvaluationDelayMs,
      seed: options.seed,
    });
    model.addEdgeDevices(fleet);
    caFile = writeCaFile(ca);
    log = options.requestLog ? jsonLinesLog(options.requestLog) : undefined;
  } catch (error) {
    server.close();
    model?.stop();
    caFile?.cleanup();
    throw error;
  }
  const hubModel = model;
  const hubCaFile = caFile;
  const requestLog = log;
  server.on(
    'request',
    createHubRequestListener({
      model: hubModel,
      clock,
      throttle,
      faults,
      counters: frontCounters,
      auth: {
        hostName,
        policies: [policy],
        trustedIssuers: options.trustedIssuers ?? [SANDBOX_TOKEN_ISSUER],
      },
      log: requestLog?.write,
    }),
  );

  let stopped: Promise<void> | undefined;
  return {
    hostName,
    port,
    connectionString: `HostName=${hostName};SharedAccessKeyName=${policy.keyName};SharedAccessKey=${policy.key}`,
    caFile: hubCaFile.path,
    model: hubModel,
    clock,
    faults,
    throttle,
    counters: () => ({ ...frontCounters, evaluations: hubModel.evaluations }),
    stop() {
      stopped ??= (async () => {
        hubModel.stop();
        // Keep-alive sockets of SDK clients would hold close() open until they idle out.
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await requestLog?.close();
        hubCaFile.cleanup();
      })();
      return stopped;
    },
  };
}
