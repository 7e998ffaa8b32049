// The release deployment as the engine holds it: the deployment as last read (with its etag) and
// the rollout state decoded from its labels. Every write is etag-checked. When the etag is stale,
// the deployment is read again: if someone else changed our state (ring, state, lock owner or
// target), this run stops instead of overwriting them; if only something else changed (the hub, a
// foreign label), the write is retried on the fresh copy.
import { type HubClient, type HubDeployment, PreconditionError } from './hub-client.js';
import { RolloutInterruptedError } from './engine-errors.js';
import { decodeLabels, mergeLabels, type RolloutState } from './state-labels.js';
import { formatProblem } from './problems.js';

const MAX_STALE_RETRIES = 3;

/** The rollout state in a deployment's labels; throws when they are not ours or are broken. */
export function readReleaseState(deployment: HubDeployment, app: string): RolloutState {
  const read = decodeLabels(deployment.labels);
  if (read.kind === 'foreign') {
    throw new RolloutInterruptedError(
      `Deployment '${deployment.id}' exists but was not created by ml-to-iot-edge (it has none of its labels): ` +
        'give another app or release, or delete that deployment if nothing uses it.',
    );
  }
  if (read.kind === 'invalid') {
    throw new RolloutInterruptedError(
      `The rollout labels of deployment '${deployment.id}' are broken:\n${read.problems.map((p) => `- ${formatProblem(p)}`).join('\n')}`,
    );
  }
  if (read.state.app !== app) {
    throw new RolloutInterruptedError(
      `Deployment '${deployment.id}' belongs to app '${read.state.app}', not '${app}': give another release or app.`,
    );
  }
  return read.state;
}

function sameDrive(a: RolloutState, b: RolloutState): boolean {
  return (
    a.state === b.state &&
    a.ringIndex === b.ringIndex &&
    a.lockOwner === b.lockOwner &&
    a.ringStartedAt === b.ringStartedAt
  );
}

export function describeState(state: RolloutState): string {
  const owner = state.lockOwner ? `, held by run ${state.lockOwner}` : '';
  return `${state.state} at ring ${state.ringIndex + 1}/${state.ringCount} (${state.ringName})${owner}`;
}

export class ReleaseHandle {
  constructor(
    private readonly hub: HubClient,
    public deployment: HubDeployment,
    public state: RolloutState,
  ) {}

  get id(): string {
    return this.deployment.id;
  }

  /**
   * Writes `next` into the labels (and the target condition when given), etag-checked; content and
   * priority are never touched.
   */
  async write(next: RolloutState, targetCondition?: string): Promise<void> {
    const target = targetCondition ?? this.deployment.targetCondition;
    for (let attempt = 0; ; attempt++) {
      try {
        this.deployment = await this.hub.updateDeployment(this.deployment, {
          targetCondition: target,
          labels: mergeLabels(this.deployment.labels, next),
        });
        this.state = next;
        return;
      } catch (error) {
        if (!(error instanceof PreconditionError) || attempt >= MAX_STALE_RETRIES) throw error;
        if (await this.reread(next, target)) return;
      }
    }
  }

  /**
   * Reads the deployment again after a stale etag: true when it already shows the write (an earlier
   * attempt went through), false when only something else changed (retry); throws
   * RolloutInterruptedError when another run changed our state.
   */
  private async reread(next: RolloutState, target: string): Promise<boolean> {
    const fresh = await this.hub.getDeployment(this.id);
    if (!fresh) {
      throw new RolloutInterruptedError(
        `Deployment '${this.id}' was deleted by someone else while this run was driving it; nothing more was changed.`,
      );
    }
    const state = readReleaseState(fresh, this.state.app);
    if (sameDrive(state, next) && fresh.targetCondition === target) {
      this.deployment = fresh;
      this.state = state;
      return true;
    }
    if (!sameDrive(state, this.state) || fresh.targetCondition !== this.deployment.targetCondition) {
      throw new RolloutInterruptedError(
        `Release '${this.id}' was changed by another run while this one was driving it (now ${describeState(state)}); ` +
          'this run stopped without changing it. Run the status command to see where it stands.',
      );
    }
    this.deployment = fresh;
    return false;
  }
}
