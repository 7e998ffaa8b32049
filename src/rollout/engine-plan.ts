// `plan`: the dry run, computed by plan.ts from what the hub holds now — every deployment, every edge
// device with its tags, the architecture each $edgeAgent reports — and rendered for the log and the
// job summary. Nothing is written.
//
// Which devices a condition matches is asked of the hub itself (one paged query per distinct
// condition), so the plan uses the hub's own evaluation and the action carries no query engine.
import { checkConditionsOnHub, retentionWithLiveCounts } from './engine-preflight.js';
import { deviceIds, readHubState } from './engine-hub-state.js';
import type { RolloutRun } from './engine-run.js';
import type { HubClient } from './hub-client.js';
import { computePlan, renderPlanText, type ConditionCompiler, type PlanDevice } from './plan.js';
import { plural } from './quantities.js';
import { edgeAgentArchitecturesQuery, edgeDevicesQuery } from './queries.js';
import { nextPriority } from './release-id.js';
import { isNeverMatching } from './target-condition.js';

/** Evaluates each condition on the hub once; the compiler then answers from those device sets. */
async function hubConditionCompiler(
  hub: HubClient,
  conditions: Iterable<string>,
): Promise<ConditionCompiler> {
  const matches = new Map<string, ReadonlySet<string>>();
  for (const condition of new Set(conditions)) {
    if (isNeverMatching(condition)) {
      matches.set(condition, new Set());
      continue;
    }
    const sql = `SELECT deviceId FROM devices WHERE capabilities.iotEdge = true AND (${condition})`;
    matches.set(condition, new Set(await deviceIds(hub, sql)));
  }
  return (condition) => {
    const devices = matches.get(condition);
    if (!devices) throw new Error(`the condition ${condition} was not evaluated on the hub`);
    return (device) => devices.has(device.deviceId);
  };
}

async function planDevices(hub: HubClient, withReported: boolean): Promise<PlanDevice[]> {
  const architectures = new Map<string, string>();
  for (const row of await hub.query(edgeAgentArchitecturesQuery())) {
    if (typeof row.architecture === 'string') architectures.set(String(row.deviceId), row.architecture);
  }
  return (await hub.query(edgeDevicesQuery({ reported: withReported }))).map((row) => {
    const deviceId = String(row.deviceId);
    const architecture = architectures.get(deviceId);
    return {
      deviceId,
      tags: (row.tags ?? {}) as Record<string, unknown>,
      ...(row.reported ? { reported: row.reported as Record<string, unknown> } : {}),
      ...(architecture ? { architecture } : {}),
    };
  });
}

export async function planCommand(run: RolloutRun): Promise<void> {
  const { release, deploymentId } = run.requireRelease();
  Object.assign(run.result, { release, deploymentId, state: 'planned' });
  await checkConditionsOnHub(run.hub, run.options.rings);
  const hubState = await readHubState(run.hub, run.app, deploymentId);
  const priority =
    hubState.own?.priority ?? nextPriority(hubState.releases.map(({ deployment }) => deployment.priority));
  run.result.priority = priority;
  const ringConditions = run.rings.map((_, index) => run.condition(index));
  const conditions = [...hubState.infos.map((info) => info.targetCondition), ...ringConditions];
  const devices = await planDevices(
    run.hub,
    conditions.some((condition) => /properties\.reported/i.test(condition)),
  );
  const plan = computePlan({
    release: { deploymentId, app: run.app, priority },
    rings: run.options.rings,
    deployments: hubState.infos,
    devices,
    compile: await hubConditionCompiler(run.hub, conditions),
    ...(run.options.imagePlatforms ? { imagePlatforms: run.options.imagePlatforms } : {}),
    firstRelease: run.options.firstRelease ?? false,
    ...(run.options.maxDeployments === undefined ? {} : { maxDeployments: run.options.maxDeployments }),
    now: new Date(run.now()).toISOString(),
  });
  // Over the quota is only an error when retention cannot make room (start deletes first).
  const retention = await retentionWithLiveCounts(run.hub, {
    state: hubState,
    app: run.app,
    deploymentId,
    ...(run.options.keepReleases === undefined ? {} : { keepReleases: run.options.keepReleases }),
    ...(run.options.maxDeployments === undefined ? {} : { maxDeployments: run.options.maxDeployments }),
  });
  if (plan.quota.headroom < 0 && retention.quota.possible) {
    plan.findings = plan.findings.filter((finding) => !/quota/.test(finding.message));
    run.note(`Retention makes room under the quota: ${retention.quota.message}.`);
  }
  run.result.plan = plan;
  run.logger.info(renderPlanText(plan));
  const errors = plan.findings.filter((finding) => finding.severity === 'error');
  if (errors.length > 0) {
    run.result.failure = `The plan for ${deploymentId} has ${plural(errors.length, 'error')}: start would refuse it. ${errors
      .map((e) => `${e.ring ? `ring '${e.ring}': ` : ''}${e.message}`)
      .join('; ')}`;
  }
}
