// Shared fixtures for the hub-model tests: a hub on a manual clock, deployments as the rollout builds
// them, and shortcuts to read metrics and run queries to the last page.
import { edgeContent as baseEdgeContent } from '../../../support/edge-deployments.js';
import { afterEach } from '@jest/globals';
import { ManualClock } from '../../../../src/sandbox/clock.js';
import { HubModel, type HubModelOptions } from '../../../../src/sandbox/hub-model.js';
import type { JsonObject } from '../../../../src/sandbox/hub-types.js';
import { ringFleet, type RingFleetOptions } from '../../../../src/sandbox/fleet.js';

export const MINUTE = 60_000;
export const CYCLE = 5 * MINUTE;

const hubs: HubModel[] = [];
afterEach(() => {
  for (const hub of hubs.splice(0)) hub.stop();
});

export interface TestHub {
  clock: ManualClock;
  hub: HubModel;
}

/** A hub on a manual clock, stopped after the test. */
export function newHub(options: Partial<HubModelOptions> & { fleet?: RingFleetOptions } = {}): TestHub {
  const clock = new ManualClock();
  const { fleet, ...rest } = options;
  const hub = new HubModel({ clock, hostName: 'sandbox.azure-devices.net', seed: 7, ...rest });
  hubs.push(hub);
  if (fleet) hub.addEdgeDevices(ringFleet(fleet));
  return { clock, hub };
}

/** A complete deployment's content: edgeAgent, edgeHub and one custom module with its twin content. */
export function edgeContent(image: string, modelVersion = '1', module = 'inference'): JsonObject {
  const { modulesContent } = baseEdgeContent(image, module);
  return {
    modulesContent: { ...modulesContent, [module]: { 'properties.desired': { modelVersion } } },
  } as JsonObject;
}

/** A configuration body as the rollout sends it. */
export function deployment(image: string, fields: JsonObject = {}): JsonObject {
  return {
    schemaVersion: '1.0',
    labels: { app: 'demo' },
    targetCondition: "tags.ring='canary'",
    priority: 10,
    content: edgeContent(image),
    ...fields,
  };
}

/** Runs a query to its last page. */
export function queryAll(hub: HubModel, sql: string, pageSize = 1000): JsonObject[] {
  const items: JsonObject[] = [];
  let continuation: string | undefined;
  do {
    const page = hub.query(sql, pageSize, continuation);
    items.push(...(page.items as JsonObject[]));
    continuation = page.continuation;
  } while (continuation);
  return items;
}

/** The cached metric results of a configuration, as the last evaluation cycle left them. */
export function cachedMetrics(hub: HubModel, id: string): Record<string, number> {
  return hub.getConfiguration(id).systemMetrics.results;
}

/** The system metrics counted live by running their query strings, as a health gate does. */
export function liveMetrics(hub: HubModel, id: string): Record<string, number> {
  const { queries } = hub.getConfiguration(id).systemMetrics;
  return Object.fromEntries(Object.entries(queries).map(([name, sql]) => [name, queryAll(hub, sql).length]));
}

/** Catches the error a call throws, so a test can look at its status and code. */
export function errorOf(call: () => unknown): { status?: number; code?: string; message: string } {
  try {
    call();
  } catch (error) {
    return error as { status?: number; code?: string; message: string };
  }
  throw new Error('expected the call to throw');
}
