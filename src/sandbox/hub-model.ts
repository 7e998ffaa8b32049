// The in-memory IoT Hub behind the sandbox: configurations, twins, queries, the automatic-deployment
// cycle and a fleet of simulated IoT Edge devices, all on a `Clock`. No HTTP here: the HTTPS front
// (routes.ts/server.ts) calls the `HubModelApi` methods; tests and the demo also use the fleet methods.
// Everything returned is a deep copy, so no caller can change the hub's state by accident.
import type { Clock, TimerHandle } from './clock.js';
import { ConfigurationStore, type StoredConfiguration } from './configurations.js';
import { DeploymentEngine } from './deployment-engine.js';
import { EdgeAgentSimulator } from './edge-agent-sim.js';
import { EtagSource } from './etags.js';
import { HubQueries, type DocumentSource } from './hub-queries.js';
import {
  DEVICE_BEHAVIOURS,
  type Configuration,
  type DeviceBehaviour,
  type DeviceTwin,
  type HubModelApi,
  type JsonObject,
  type ModuleTwin,
  type QueryPage,
  type TestQueriesResult,
} from './hub-types.js';
import { cloneJson } from './json-values.js';
import { TwinStore, type SimulatedDeviceSpec } from './twin-store.js';

export interface HubModelOptions {
  clock: Clock;
  hostName: string;
  /** The service re-evaluates automatic deployments about every 5 minutes. */
  evaluationIntervalMs?: number;
  /** "Shortly after" a configuration is created, updated or deleted, the service evaluates it. */
  firstEvaluationDelayMs?: number;
  /** Seeds the simulation's deterministic jitter (agent latencies, generation ids). */
  seed?: number;
}

export const DEFAULT_EVALUATION_INTERVAL_MS = 300_000;
export const DEFAULT_FIRST_EVALUATION_DELAY_MS = 15_000;

export class HubModel implements HubModelApi {
  readonly hostName: string;
  private readonly clock: Clock;
  private readonly evaluationIntervalMs: number;
  private readonly firstEvaluationDelayMs: number;
  private readonly queries = new HubQueries();
  private readonly twins: TwinStore;
  private readonly configurations: ConfigurationStore;
  private readonly agents: EdgeAgentSimulator;
  private readonly engine: DeploymentEngine;
  private readonly liveDocuments: DocumentSource;
  private evaluationCount = 0;
  private periodicTimer: TimerHandle | undefined;
  private pendingTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(options: HubModelOptions) {
    this.clock = options.clock;
    this.hostName = options.hostName;
    this.evaluationIntervalMs = positive(
      options.evaluationIntervalMs ?? DEFAULT_EVALUATION_INTERVAL_MS,
      'evaluationIntervalMs',
    );
    this.firstEvaluationDelayMs = nonNegative(
      options.firstEvaluationDelayMs ?? DEFAULT_FIRST_EVALUATION_DELAY_MS,
      'firstEvaluationDelayMs',
    );
    const seed = options.seed ?? 1;
    const etags = new EtagSource();
    this.twins = new TwinStore(this.clock, etags, seed);
    this.configurations = new ConfigurationStore(this.clock, etags, this.queries);
    this.agents = new EdgeAgentSimulator(this.clock, this.twins, seed);
    this.engine = new DeploymentEngine(this.configurations, this.twins, this.queries, this.agents);
    this.liveDocuments = (source) => this.twins.documents(source);
    this.schedulePeriodicEvaluation();
  }

  /** Evaluation cycles run so far (HubCounters.evaluations). */
  get evaluations(): number {
    return this.evaluationCount;
  }

  get deviceCount(): number {
    return this.twins.size;
  }

  // ---- configurations -------------------------------------------------------------------------

  createConfiguration(id: string, body: JsonObject): Configuration {
    const stored = this.configurations.create(id, body);
    this.scheduleEvaluationSoon();
    return view(stored);
  }

  updateConfiguration(id: string, body: JsonObject, ifMatch: string): Configuration {
    const stored = this.configurations.update(id, body, ifMatch);
    this.scheduleEvaluationSoon();
    return view(stored);
  }

  getConfiguration(id: string): Configuration {
    return view(this.configurations.get(id));
  }

  listConfigurations(top?: number): Configuration[] {
    return this.configurations.list(top).map(view);
  }

  deleteConfiguration(id: string, ifMatch?: string): void {
    this.configurations.delete(id, ifMatch);
    this.scheduleEvaluationSoon();
  }

  testQueries(body: JsonObject): TestQueriesResult {
    return this.configurations.testQueries(body);
  }

  // ---- devices and twins ----------------------------------------------------------------------

  getDevice(deviceId: string): JsonObject {
    return cloneJson(this.twins.identity(this.twins.get(deviceId)));
  }

  getTwin(deviceId: string): DeviceTwin {
    return cloneJson(this.twins.get(deviceId).twin);
  }

  patchTwin(deviceId: string, patch: JsonObject, ifMatch?: string): DeviceTwin {
    return cloneJson(this.twins.patchDeviceTwin(deviceId, patch, ifMatch));
  }

  getModuleTwin(deviceId: string, moduleId: string): ModuleTwin {
    return cloneJson(this.twins.module(this.twins.get(deviceId), moduleId));
  }

  patchModuleTwin(deviceId: string, moduleId: string, patch: JsonObject, ifMatch?: string): ModuleTwin {
    const twin = this.twins.patchModuleTwin(deviceId, moduleId, patch, ifMatch);
    this.agents.desiredChanged(this.twins.get(deviceId));
    return cloneJson(twin);
  }

  query(sql: string, pageSize: number, continuation?: string): QueryPage {
    return this.queries.page(sql, pageSize, continuation, this.liveDocuments);
  }

  applyConfigurationContent(deviceId: string, content: JsonObject): void {
    this.engine.applyDeviceContent(this.twins.get(deviceId), content);
  }

  // ---- the simulated fleet --------------------------------------------------------------------

  addEdgeDevice(spec: SimulatedDeviceSpec): void {
    checkBehaviour(spec.behaviour ?? 'healthy');
    const device = this.twins.add(spec);
    this.agents.start(device);
  }

  addEdgeDevices(specs: Iterable<SimulatedDeviceSpec>): void {
    for (const spec of specs) this.addEdgeDevice(spec);
  }

  /**
   * Changes how a device's edge agent behaves. With `behaviourImage`, the behaviour only shows while
   * one of its custom modules runs an image whose reference contains that text (so a device that
   * crashes on a bad release is healthy again once rolled back).
   */
  setBehaviour(deviceId: string, behaviour: DeviceBehaviour, behaviourImage?: string): void {
    checkBehaviour(behaviour);
    const device = this.twins.get(deviceId);
    device.behaviour = behaviour;
    device.behaviourImage = behaviourImage || undefined;
    this.agents.behaviourChanged(device);
  }

  /** Runs an evaluation cycle now (the pending "shortly after a change" one is then not needed). */
  runEvaluation(): void {
    this.pendingTimer?.cancel();
    this.pendingTimer = undefined;
    this.evaluate();
  }

  /** The automatic deployment whose content the device was last given (kept after that deployment is deleted). */
  appliedConfigurationOf(deviceId: string): string | undefined {
    return this.twins.get(deviceId).appliedConfiguration;
  }

  deviceIds(): string[] {
    return [...this.twins.all()].map((device) => device.deviceId);
  }

  /** Reports queued by simulated edge agents (benchmarks and tests). */
  get pendingAgentReports(): number {
    return this.agents.pendingReports;
  }

  /** Cancels every timer: the hub no longer evaluates and agents no longer report. */
  stop(): void {
    this.stopped = true;
    this.periodicTimer?.cancel();
    this.pendingTimer?.cancel();
    this.periodicTimer = this.pendingTimer = undefined;
    this.agents.stop();
  }

  // ---- evaluation scheduling ------------------------------------------------------------------

  private evaluate(): void {
    this.evaluationCount += 1;
    this.engine.evaluate();
  }

  private schedulePeriodicEvaluation(): void {
    if (this.stopped) return;
    this.periodicTimer = this.clock.setTimer(this.evaluationIntervalMs, () => {
      this.schedulePeriodicEvaluation();
      this.evaluate();
    });
  }

  /** One pending cycle at most: changes made while it waits are picked up by it. */
  private scheduleEvaluationSoon(): void {
    if (this.pendingTimer || this.stopped) return;
    this.pendingTimer = this.clock.setTimer(this.firstEvaluationDelayMs, () => {
      this.pendingTimer = undefined;
      this.evaluate();
    });
  }
}

function view(stored: StoredConfiguration): Configuration {
  return cloneJson(stored.configuration);
}

function checkBehaviour(behaviour: DeviceBehaviour): void {
  if (!DEVICE_BEHAVIOURS.includes(behaviour)) {
    throw new Error(
      `Unknown device behaviour '${String(behaviour)}'; use one of ${DEVICE_BEHAVIOURS.join(', ')}`,
    );
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0)) throw new Error(`${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!(value >= 0)) throw new Error(`${name} must be zero or more milliseconds, got ${value}`);
  return value;
}
