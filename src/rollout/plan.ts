// The plan (dry run): what each ring would target, which deployment each device is on now and will be
// on after the ring, whether every device has something to fall back to, whether the image covers
// the devices' architectures, and the deployment quota — before anything is written.
//
// Pure: the caller fetches deployments and devices, and passes the condition evaluator (the sandbox
// query engine's `compileCondition` in tests, any equivalent in the action), so this module carries
// no query engine of its own.
import { architectureCoverage, countArchitectures, type ArchitectureCoverage } from './architectures.js';
import { type DeploymentInfo, MAX_DEPLOYMENTS, winningDeployment } from './deployments.js';
import type { RingsConfig } from './rings.js';
import { decodeLabels } from './state-labels.js';
import { plural } from './quantities.js';
import { cumulativeCondition } from './target-condition.js';

/** A device twin as a target condition sees it. */
export type DeviceDocument = {
  deviceId: string;
  tags: Record<string, unknown>;
  properties: { reported: Record<string, unknown> };
};

/** Compiles a target condition into a test of one device; throws on a condition it cannot read. */
export type ConditionCompiler = (condition: string) => (device: DeviceDocument) => boolean;

export interface PlanDevice {
  deviceId: string;
  tags?: Record<string, unknown>;
  reported?: Record<string, unknown>;
  /** `runtime.platform.architecture` reported by the device's $edgeAgent. */
  architecture?: string;
}

export interface PlanRelease {
  deploymentId: string;
  app: string;
  priority: number;
}

export interface PlanInput {
  release: PlanRelease;
  rings: RingsConfig;
  /** Every deployment on the hub (the release itself too, when it already exists). */
  deployments: readonly DeploymentInfo[];
  /** Every edge device with tags (and reported properties when conditions use them). */
  devices: readonly PlanDevice[];
  compile: ConditionCompiler;
  /** The image's platforms; without them architecture coverage is not checked. */
  imagePlatforms?: readonly string[];
  /** Allows devices without a fallback (the app's first release). */
  firstRelease?: boolean;
  /** The hub's deployment quota; 100 on basic and standard hubs. */
  maxDeployments?: number;
  /** Creation time given to the release when it does not exist yet; it is the newest either way. */
  now?: string;
}

export interface DeviceMove {
  /** Deployment the device is on now; undefined = none. */
  from?: string;
  /** Deployment it will be on after the ring. */
  to?: string;
  devices: number;
}

export interface FallbackSummary {
  /** Devices on the release after the ring that have a deployment to fall back to. */
  covered: number;
  missing: number;
  /** A few device ids without a fallback. */
  missingSample: string[];
  by: Array<{ deploymentId: string; devices: number; sameApp: boolean }>;
}

export interface RingPlan {
  index: number;
  name: string;
  /** The release's cumulative target condition once this ring is in. */
  condition: string;
  /** Devices the cumulative condition matches. */
  targeted: number;
  /** Devices this ring adds to the earlier rings. */
  added: number;
  /** Targeted devices that will be on the release. */
  onRelease: number;
  /** Where the devices this ring adds move (devices that stay where they are are left out). */
  moves: DeviceMove[];
  /** Targeted devices that stay on a higher-priority deployment. */
  overriddenBy: Array<{ deploymentId: string; devices: number }>;
  fallback: FallbackSummary;
  /** Of the devices this ring adds; undefined when no image platforms were given. */
  architectures?: ArchitectureCoverage;
}

export interface DeviceAssignment {
  deviceId: string;
  /** 0-based first ring that targets the device; undefined = no ring. */
  ring?: number;
  now?: string;
  after?: string;
  fallback?: string;
}

export interface PlanFinding {
  severity: 'error' | 'warning';
  ring?: string;
  message: string;
  fix?: string;
}

export interface QuotaSummary {
  deployments: number;
  max: number;
  /** Deployments once the release exists. */
  afterRelease: number;
  headroom: number;
}

export interface Plan {
  release: PlanRelease;
  edgeDevices: number;
  inNoRing: number;
  rings: RingPlan[];
  devices: DeviceAssignment[];
  quota: QuotaSummary;
  findings: PlanFinding[];
}

const NEAR_QUOTA = 5;
const SAMPLE_SIZE = 5;

function toDocument(device: PlanDevice): DeviceDocument {
  return {
    deviceId: device.deviceId,
    tags: device.tags ?? {},
    properties: { reported: device.reported ?? {} },
  };
}

/** Which devices a condition matches, as a boolean per device; an unreadable condition matches none. */
class Matcher {
  private readonly cache = new Map<string, boolean[]>();

  constructor(
    private readonly documents: readonly DeviceDocument[],
    private readonly compile: ConditionCompiler,
    private readonly findings: PlanFinding[],
  ) {}

  matches(condition: string, owner: string): boolean[] {
    const cached = this.cache.get(condition);
    if (cached) return cached;
    let result: boolean[];
    if (condition.trim() === '') {
      result = this.documents.map(() => false); // an empty condition targets no device
    } else {
      try {
        const test = this.compile(condition);
        result = this.documents.map((document) => test(document));
      } catch (error) {
        this.findings.push({
          severity: 'warning',
          message: `The target condition of ${owner} could not be evaluated locally (${(error as Error).message}); it is counted as matching no device`,
        });
        result = this.documents.map(() => false);
      }
    }
    this.cache.set(condition, result);
    return result;
  }
}

function tally<K>(keys: Iterable<K>): Map<K, number> {
  const counts = new Map<K, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

export function computePlan(input: PlanInput): Plan {
  const { release, rings: config, devices } = input;
  const findings: PlanFinding[] = [];
  const documents = devices.map(toDocument);
  const matcher = new Matcher(documents, input.compile, findings);
  const existingRelease = input.deployments.find((deployment) => deployment.id === release.deploymentId);
  const others = input.deployments.filter((deployment) => deployment.id !== release.deploymentId);
  const appOf = new Map(others.map((d) => [d.id, appLabel(d)]));

  // Per device: deployments that target it now (the release as it stands, if it exists) and the
  // fallback (best of the others), then the release as each ring would leave it.
  const otherMatches = others.map((deployment) =>
    matcher.matches(deployment.targetCondition, `deployment '${deployment.id}'`),
  );
  const candidatesOf = (index: number) => others.filter((_, d) => otherMatches[d]![index]);
  const fallbacks = devices.map((_, index) => winningDeployment(candidatesOf(index)));
  const now = devices.map((_, index) => {
    const current = [...candidatesOf(index)];
    if (
      existingRelease &&
      matcher.matches(existingRelease.targetCondition, `release '${existingRelease.id}'`)[index]
    ) {
      current.push(existingRelease);
    }
    return winningDeployment(current)?.id;
  });
  const planned: DeploymentInfo = {
    id: release.deploymentId,
    priority: release.priority,
    targetCondition: '',
    // Not created yet: it will be the newest deployment, so it wins ties; the latest representable time says so.
    createdTimeUtc: existingRelease?.createdTimeUtc ?? input.now ?? new Date(8.64e15).toISOString(),
  };

  const firstRing: Array<number | undefined> = devices.map(() => undefined);
  const after: Array<string | undefined> = [...now];
  const ringPlans = config.rings.map((ring, k) => {
    const condition = cumulativeCondition(config.rings, k + 1, config.appScope);
    const matched = matcher.matches(condition, `ring '${ring.name}'`);
    const added: number[] = [];
    const onRelease: number[] = [];
    const overriding: string[] = [];
    matched.forEach((isTargeted, index) => {
      if (!isTargeted) return;
      if (firstRing[index] === undefined) {
        firstRing[index] = k;
        added.push(index);
      }
      const fallback = fallbacks[index];
      const winner = fallback && byRank(fallback, planned) ? fallback : planned;
      after[index] = winner.id;
      if (winner === planned) onRelease.push(index);
      else overriding.push(winner.id);
    });
    const ringPlan: RingPlan = {
      index: k,
      name: ring.name,
      condition,
      targeted: matched.filter(Boolean).length,
      added: added.length,
      onRelease: onRelease.length,
      moves: movesOf(added, now, after),
      overriddenBy: [...tally(overriding)].map(([deploymentId, count]) => ({ deploymentId, devices: count })),
      fallback: fallbackSummary(onRelease, fallbacks, devices, appOf, release.app),
    };
    if (input.imagePlatforms) {
      ringPlan.architectures = architectureCoverage(
        countArchitectures(added.map((index) => devices[index]!.architecture)),
        input.imagePlatforms,
      );
    }
    findings.push(...ringFindings(ringPlan, ring.gate.minDevices, input.firstRelease ?? false));
    return ringPlan;
  });

  const inNoRing = firstRing.filter((ring) => ring === undefined).length;
  if (inNoRing > 0) {
    findings.push({
      severity: 'warning',
      message: `${inNoRing} of ${plural(devices.length, 'edge device')} ${inNoRing === 1 ? 'is' : 'are'} in no ring and keep${inNoRing === 1 ? 's' : ''} their current deployment`,
      fix: 'tag them into a ring, or add a last ring that targets them',
    });
  }
  const quota = quotaSummary(
    input.deployments.length,
    existingRelease !== undefined,
    input.maxDeployments ?? MAX_DEPLOYMENTS,
  );
  findings.push(...quotaFindings(quota));

  return {
    release,
    edgeDevices: devices.length,
    inNoRing,
    rings: ringPlans,
    devices: devices.map((device, index) => ({
      deviceId: device.deviceId,
      ...(firstRing[index] === undefined ? {} : { ring: firstRing[index] }),
      ...(now[index] === undefined ? {} : { now: now[index] }),
      ...(after[index] === undefined ? {} : { after: after[index] }),
      ...(fallbacks[index] === undefined ? {} : { fallback: fallbacks[index]!.id }),
    })),
    quota,
    findings,
  };
}

/** True when `a` wins over `b` on a device both target. */
function byRank(a: DeploymentInfo, b: DeploymentInfo): boolean {
  return winningDeployment([a, b]) === a;
}

function appLabel(deployment: DeploymentInfo): string | undefined {
  const read = decodeLabels(deployment.labels);
  return read.kind === 'rollout' ? read.state.app : undefined;
}

function movesOf(
  indexes: readonly number[],
  now: ReadonlyArray<string | undefined>,
  after: ReadonlyArray<string | undefined>,
): DeviceMove[] {
  const moving = indexes.filter((index) => now[index] !== after[index]);
  const moves = tally(moving.map((index) => `${now[index] ?? ''}\u0000${after[index] ?? ''}`));
  return [...moves].map(([key, devices]) => {
    const [from, to] = key.split('\u0000') as [string, string];
    return { ...(from ? { from } : {}), ...(to ? { to } : {}), devices };
  });
}

function fallbackSummary(
  onRelease: readonly number[],
  fallbacks: ReadonlyArray<DeploymentInfo | undefined>,
  devices: readonly PlanDevice[],
  appOf: ReadonlyMap<string, string | undefined>,
  app: string,
): FallbackSummary {
  const missing = onRelease.filter((index) => fallbacks[index] === undefined);
  const by = tally(onRelease.flatMap((index) => (fallbacks[index] ? [fallbacks[index]!.id] : [])));
  return {
    covered: onRelease.length - missing.length,
    missing: missing.length,
    missingSample: missing.slice(0, SAMPLE_SIZE).map((index) => devices[index]!.deviceId),
    by: [...by].map(([deploymentId, count]) => ({
      deploymentId,
      devices: count,
      sameApp: appOf.get(deploymentId) === app,
    })),
  };
}

function ringFindings(ring: RingPlan, minDevices: number, firstRelease: boolean): PlanFinding[] {
  const findings: PlanFinding[] = [];
  const add = (severity: PlanFinding['severity'], message: string, fix?: string) =>
    findings.push({ severity, ring: ring.name, message, ...(fix ? { fix } : {}) });
  if (ring.onRelease < minDevices) {
    add(
      'error',
      `would put ${plural(ring.onRelease, 'device')} on the release; its gate needs at least ${minDevices}`,
      "check the ring's target condition and the devices' tags",
    );
  }
  if (ring.index > 0 && ring.added === 0)
    add('warning', 'adds no device to the earlier rings', 'give it devices of its own, or remove it');
  for (const { deploymentId, devices } of ring.overriddenBy) {
    add(
      'warning',
      `${plural(devices, 'targeted device')} ${devices === 1 ? 'stays' : 'stay'} on '${deploymentId}', which has a higher priority`,
      'raise the release priority or narrow that deployment',
    );
  }
  if (ring.fallback.missing > 0 && !firstRelease) {
    add(
      'error',
      `${plural(ring.fallback.missing, 'device')} would have no deployment to fall back to on rollback (e.g. ${ring.fallback.missingSample.join(', ')})`,
      'keep an earlier release (or a base deployment at a lower priority) targeting them, or set first-release: true',
    );
  }
  for (const { architecture, platform, devices } of ring.architectures?.missing ?? []) {
    add(
      'error',
      `${plural(devices, 'device')} ${devices === 1 ? 'reports' : 'report'} ${architecture}, but the image has no ${platform}`,
      `build the image for ${platform} too, or leave those devices out of the ring`,
    );
  }
  const unknown = (ring.architectures?.unknown ?? []).reduce((sum, entry) => sum + entry.devices, 0);
  if (unknown > 0)
    add(
      'warning',
      `${plural(unknown, 'device')} ${unknown === 1 ? 'reports' : 'report'} no known architecture, so image coverage cannot be checked`,
    );
  return findings;
}

function quotaSummary(deployments: number, releaseExists: boolean, max: number): QuotaSummary {
  const afterRelease = deployments + (releaseExists ? 0 : 1);
  return { deployments, max, afterRelease, headroom: max - afterRelease };
}

function quotaFindings(quota: QuotaSummary): PlanFinding[] {
  if (quota.headroom < 0) {
    return [
      {
        severity: 'error',
        message: `the hub would hold ${quota.afterRelease} deployments, over its quota of ${quota.max}`,
        fix: `retention must delete at least ${-quota.headroom}; delete deployments no device is on, or lower keep-releases`,
      },
    ];
  }
  if (quota.headroom < NEAR_QUOTA) {
    return [
      {
        severity: 'warning',
        message: `only ${quota.headroom} of ${quota.max} deployments left after this release`,
      },
    ];
  }
  return [];
}

// ---- rendering

function describeMove(move: DeviceMove): string {
  return `${move.devices}: ${move.from ?? '(none)'} → ${move.to ?? '(none)'}`;
}

function describeFallback(ring: RingPlan): string {
  const by = ring.fallback.by.map((entry) => `${entry.deploymentId} ${entry.devices}`).join(', ');
  return `${ring.fallback.covered}/${ring.onRelease}${by ? ` (${by})` : ''}`;
}

function describeArchitectures(coverage: ArchitectureCoverage | undefined): string {
  if (!coverage) return 'not checked';
  const parts = [
    ...coverage.covered.map((entry) => `${entry.architecture} ${entry.devices} ok`),
    ...coverage.missing.map((entry) => `${entry.architecture} ${entry.devices} MISSING ${entry.platform}`),
    ...coverage.unknown.map((entry) => `${entry.architecture ?? 'unreported'} ${entry.devices} unknown`),
  ];
  return parts.length > 0 ? parts.join(', ') : 'no new devices';
}

function describeFinding(finding: PlanFinding): string {
  const where = finding.ring ? `ring '${finding.ring}': ` : '';
  return `${where}${finding.message}${finding.fix ? ` (fix: ${finding.fix})` : ''}`;
}

/** The plan as log lines. */
export function renderPlanText(plan: Plan): string {
  const { release, quota } = plan;
  const lines = [
    `Plan for ${release.deploymentId} (app ${release.app}, priority ${release.priority}) over ${plural(plan.edgeDevices, 'edge device')}`,
  ];
  for (const ring of plan.rings) {
    lines.push(`Ring ${ring.index + 1}/${plan.rings.length} ${ring.name}: ${ring.condition}`);
    lines.push(
      `  targets ${plural(ring.targeted, 'device')} (${ring.added} new); ${ring.onRelease} on the release after this ring`,
    );
    for (const move of ring.moves) lines.push(`  moves ${describeMove(move)}`);
    for (const entry of ring.overriddenBy)
      lines.push(`  stays on higher-priority ${entry.deploymentId}: ${entry.devices}`);
    lines.push(`  fallback: ${describeFallback(ring)}`);
    lines.push(`  architectures: ${describeArchitectures(ring.architectures)}`);
  }
  if (plan.inNoRing > 0) lines.push(`In no ring: ${plural(plan.inNoRing, 'device')}`);
  lines.push(
    `Quota: ${quota.afterRelease} of ${quota.max} deployments after this release (${quota.headroom} free)`,
  );
  for (const severity of ['error', 'warning'] as const) {
    const found = plan.findings.filter((finding) => finding.severity === severity);
    if (found.length === 0) continue;
    lines.push(severity === 'error' ? 'Errors:' : 'Warnings:');
    for (const finding of found) lines.push(`  - ${describeFinding(finding)}`);
  }
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** The plan as a Markdown table and finding list, for the job summary. */
export function renderPlanMarkdown(plan: Plan): string {
  const { release, quota } = plan;
  const lines = [
    `### Plan for \`${release.deploymentId}\` (priority ${release.priority})`,
    '',
    '| # | Ring | Target | Devices | New | On release | Moves | Fallback | Architectures |',
    '|---|---|---|---:|---:|---:|---|---|---|',
  ];
  for (const ring of plan.rings) {
    const moves = ring.moves.map(describeMove).join('<br>') || '—';
    lines.push(
      `| ${ring.index + 1} | ${cell(ring.name)} | \`${cell(ring.condition)}\` | ${ring.targeted} | ${ring.added} | ${ring.onRelease} | ${cell(moves)} | ${cell(describeFallback(ring))} | ${cell(describeArchitectures(ring.architectures))} |`,
    );
  }
  lines.push(
    '',
    `Edge devices: ${plan.edgeDevices}, in no ring: ${plan.inNoRing}. Quota: ${quota.afterRelease}/${quota.max} deployments after this release.`,
  );
  if (plan.findings.length > 0) {
    lines.push('');
    const ordered = [...plan.findings].sort(
      (a, b) => Number(b.severity === 'error') - Number(a.severity === 'error'),
    );
    for (const finding of ordered)
      lines.push(
        `- ${finding.severity === 'error' ? '**Error**' : 'Warning'}: ${cell(describeFinding(finding))}`,
      );
  }
  return lines.join('\n');
}
