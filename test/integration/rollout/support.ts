// Rollouts on a real sandbox hub: the real azure-iothub SDK (SdkHubClient) over HTTPS, with the
// sandbox's own clock as the engine's clock, so soak times, timeouts, retries and the hub's
// evaluation cycle all run in accelerated sandbox time.
import { afterAll, beforeAll } from '@jest/globals';
import { generateManifest } from '../../../src/edge/index.js';
import { memoryLogger } from '../../../src/logger.js';
import type { RolloutDeps, RolloutOptions } from '../../../src/rollout/engine-types.js';
import { parseRings } from '../../../src/rollout/rings.js';
import { SdkHubClient } from '../../../src/rollout/sdk-hub-client.js';
import { encodeLabels, type RolloutState } from '../../../src/rollout/state-labels.js';
import { NEVER_MATCHING_CONDITION } from '../../../src/rollout/target-condition.js';
import type { SandboxHub, SandboxHubOptions } from '../../../src/sandbox/index.js';
import { startTestHub } from '../../support/sandbox.js';

export const APP = 'vision';
export const OLD_IMAGE = `registry.local/vision@sha256:${'a'.repeat(64)}`;
export const NEW_IMAGE = `registry.local/vision@sha256:${'b'.repeat(64)}`;
/** Text of the new image only, for image-scoped behaviours such as `canary:crash-loop@${NEW_IMAGE_TEXT}`. */
export const NEW_IMAGE_TEXT = 'vision@sha256:bbbb';
export const EVERY_RING = "tags.ring='canary' OR tags.ring='pilot' OR tags.ring='fleet'";

/** Short gates so a ring takes a few sandbox minutes: soak 2m, timeout 10m. */
export const TEST_RINGS_YAML = `
defaults: {soak: 2m, timeout: 10m}
rings:
  - {name: canary, tag: ring=canary}
  - {name: pilot, tag: ring=pilot}
  - {name: fleet, tag: ring=fleet}
`;

export function releaseContent(image: string, release: string): RolloutOptions['content'] {
  return generateManifest({
    module: {
      name: 'model',
      image,
      version: release,
      model: { name: APP, version: release, uri: `azureml:${APP}:${release}` },
    },
  }) as unknown as RolloutOptions['content'];
}

export function rolloutOptions(overrides: Partial<RolloutOptions> = {}): RolloutOptions {
  return {
    app: APP,
    release: '1.1.0',
    rings: parseRings(TEST_RINGS_YAML),
    content: releaseContent(NEW_IMAGE, '1.1.0'),
    moduleName: 'model',
    imagePlatforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
    lineage: {
      commit: 'c0ffee1234567890',
      modelName: APP,
      modelVersion: '7',
      runUrl: 'https://github.com/acme/vision/actions/runs/42',
    },
    runId: '42',
    ...overrides,
  };
}

export interface RolloutHub {
  hub: SandboxHub;
  client: SdkHubClient;
  logger: ReturnType<typeof memoryLogger>;
  deps: RolloutDeps;
  /** A fresh client (and its own call counters) on the same hub and clock. */
  newDeps(): RolloutDeps & { client: SdkHubClient };
}

/** A sandbox hub (200 devices by default) with a client and engine deps that run on its clock. */
export async function startRolloutHub(options: SandboxHubOptions = {}): Promise<RolloutHub> {
  const hub = await startTestHub({ devices: 'canary=5,pilot=45,fleet=150', timeScale: 600, ...options });
  const logger = memoryLogger();
  const newDeps = () => {
    const client = SdkHubClient.fromConnectionString(hub.connectionString, {
      sleep: (ms) => hub.clock.sleep(ms),
      now: () => hub.clock.now(),
      logger,
    });
    return { hub: client, client, clock: hub.clock, logger };
  };
  const first = newDeps();
  return { hub, client: first.client, logger, deps: first, newDeps };
}

/** Rollout labels as the engine writes them, for seeding a hub with earlier releases. */
export function releaseLabels(
  release: string,
  state: RolloutState['state'],
  fields: Partial<RolloutState> = {},
) {
  const now = Date.now();
  return encodeLabels({
    app: fields.app ?? APP,
    release,
    ringIndex: 2,
    ringName: 'fleet',
    ringCount: 3,
    state,
    startedAt: now,
    ringStartedAt: now,
    updatedAt: now,
    lockOwner: 'earlier-run',
    ...fields,
  });
}

/**
 * Seeds a release straight into the hub model (not through the HTTPS front, so the hub's counters
 * stay at 0): by default the completed release 1.0.0 targeting every ring, the fallback.
 */
export function seedRelease(
  hub: SandboxHub,
  release = '1.0.0',
  fields: {
    app?: string;
    state?: RolloutState['state'];
    targetCondition?: string;
    priority?: number;
    image?: string;
    labels?: Partial<RolloutState>;
  } = {},
): string {
  const id = `${fields.app ?? APP}-${release.replaceAll('.', '_')}`;
  hub.model.createConfiguration(id, {
    id,
    schemaVersion: '1.0',
    labels: releaseLabels(release, fields.state ?? 'completed', {
      release,
      ...(fields.app ? { app: fields.app } : {}),
      ...fields.labels,
    }),
    content: releaseContent(fields.image ?? OLD_IMAGE, release) as never,
    targetCondition: fields.targetCondition ?? EVERY_RING,
    priority: fields.priority ?? 10,
  });
  return id;
}

/** Seeds the fallback and lets every device apply it and report (sandbox time). */
export async function seedFallback(hub: SandboxHub): Promise<string> {
  const id = seedRelease(hub);
  hub.model.runEvaluation();
  await hub.clock.sleep(90_000);
  return id;
}

/**
 * A hub with the previous release as fallback for a whole test file: started before its tests,
 * stopped after them. Returns a getter, as the hub exists only once `beforeAll` has run.
 */
export function hubWithFallback(options: SandboxHubOptions = {}): () => RolloutHub {
  let env: RolloutHub | undefined;
  beforeAll(async () => {
    env = await startRolloutHub(options);
    await seedFallback(env.hub);
  });
  afterAll(() => env?.hub.stop());
  return () => {
    if (!env) throw new Error('the rollout hub starts in beforeAll');
    return env;
  };
}

export { NEVER_MATCHING_CONDITION };

/** The deployment each device was last given, counted. */
export function devicesByDeployment(hub: SandboxHub): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of hub.model.deviceIds()) {
    const on = hub.model.appliedConfigurationOf(id) ?? '(none)';
    counts[on] = (counts[on] ?? 0) + 1;
  }
  return counts;
}

/** The reported model image and status of every device's model module. */
export function modelModules(
  hub: SandboxHub,
): Array<{ deviceId: string; image?: string; status?: string; code?: number }> {
  return hub.model.deviceIds().map((deviceId) => {
    const reported = hub.model.getModuleTwin(deviceId, '$edgeAgent').properties.reported as {
      modules?: Record<string, { settings?: { image?: string }; runtimeStatus?: string }>;
      lastDesiredStatus?: { code?: number };
    };
    const model = reported.modules?.model;
    return {
      deviceId,
      ...(model?.settings?.image ? { image: model.settings.image } : {}),
      ...(model?.runtimeStatus ? { status: model.runtimeStatus } : {}),
      ...(reported.lastDesiredStatus?.code === undefined ? {} : { code: reported.lastDesiredStatus.code }),
    };
  });
}
