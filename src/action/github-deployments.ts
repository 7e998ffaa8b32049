// GitHub Deployments for a rollout: one deployment per ring environment (canary, pilot, fleet; the
// last ring is the production environment), with statuses in progress → success or failure that
// link to the workflow run. Purely informative, so it is fail-safe: a token without
// `deployments: write` gives one warning naming the fix and switches the tracker off; any other
// error warns and the rollout goes on. The token is masked by the caller and never logged here.
import { getOctokit } from '@actions/github';
import { redactSecrets } from '../azure/redact-secrets.js';
import type { Logger } from '../logger.js';
import type { RingEvent, RingProgress } from '../rollout/engine-types.js';

export interface GitHubDeploymentsOptions {
  token: string;
  /** `owner/name`. */
  repository: string;
  /** The commit the deployments are recorded for. */
  sha: string;
  /** The workflow run: each status's log and environment link. */
  runUrl?: string;
  /** The REST API root (GITHUB_API_URL); https://api.github.com when absent. */
  apiUrl?: string;
  logger: Logger;
}

type Octokit = ReturnType<typeof getOctokit>;
type StatusState = 'in_progress' | 'success' | 'failure';

/** GitHub caps a deployment status description at 140 characters. */
const MAX_DESCRIPTION = 140;
/** Deployments of a ring environment searched for one an earlier job created for the same release. */
const LOOKUP_PAGE = 30;

function clip(text: string): string {
  return text.length <= MAX_DESCRIPTION ? text : `${text.slice(0, MAX_DESCRIPTION - 1)}…`;
}

function httpStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

class DeploymentTracker implements RingProgress {
  private readonly octokit: Octokit;
  private readonly owner: string;
  private readonly repo: string;
  /** GitHub deployment id per release and ring environment, as created or found in this run. */
  private readonly ids = new Map<string, number>();
  private disabled = false;

  constructor(private readonly options: GitHubDeploymentsOptions) {
    const [owner = '', repo = ''] = options.repository.split('/');
    this.owner = owner;
    this.repo = repo;
    const quiet = (message: string) => options.logger.debug(this.redact(message));
    this.octokit = getOctokit(options.token, {
      ...(options.apiUrl ? { baseUrl: options.apiUrl.replace(/\/+$/, '') } : {}),
      // Octokit would print to the console; its notes go to the debug log, scrubbed.
      log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    });
  }

  async ringStarted(event: RingEvent): Promise<void> {
    await this.safely(event, async () => {
      const id = await this.create(event);
      await this.status(id, 'in_progress', `Rolling out ${event.release} to ${event.ringName}`);
    });
  }

  async ringPassed(event: RingEvent): Promise<void> {
    await this.safely(event, async () => {
      const id = await this.find(event);
      await this.status(id, 'success', `${event.ringName} passed its health gate`);
    });
  }

  async ringFailed(event: RingEvent & { reason: string }): Promise<void> {
    await this.safely(event, async () => {
      const id = await this.find(event);
      await this.status(id, 'failure', event.reason);
    });
  }

  private key(event: RingEvent): string {
    return `${event.deploymentId}:${event.ringName}`;
  }

  private async create(event: RingEvent): Promise<number> {
    const production = event.ring === event.ringCount;
    const response = await this.octokit.rest.repos.createDeployment({
      owner: this.owner,
      repo: this.repo,
      ref: this.options.sha,
      environment: event.ringName,
      auto_merge: false,
      required_contexts: [],
      production_environment: production,
      transient_environment: !production,
      payload: { app: event.app, release: event.release, deploymentId: event.deploymentId },
      description: clip(
        `${event.app} ${event.release}: ring ${event.ring}/${event.ringCount} (${event.ringName}), IoT Edge deployment ${event.deploymentId}`,
      ),
    });
    const data = response.data as { id?: number; message?: string };
    if (typeof data.id !== 'number') {
      throw new Error(`GitHub did not create the deployment: ${data.message ?? `HTTP ${response.status}`}`);
    }
    this.ids.set(this.key(event), data.id);
    return data.id;
  }

  /**
   * The ring's deployment: created in this run, else by an earlier job for the same release (a
   * promote or rollback behind an approval), else created now so the verdict is still recorded.
   */
  private async find(event: RingEvent): Promise<number> {
    const known = this.ids.get(this.key(event));
    if (known !== undefined) return known;
    const { data } = await this.octokit.rest.repos.listDeployments({
      owner: this.owner,
      repo: this.repo,
      environment: event.ringName,
      per_page: LOOKUP_PAGE,
    });
    const earlier = data.find((deployment) => {
      const payload = deployment.payload as { deploymentId?: unknown } | string;
      return typeof payload === 'object' && payload.deploymentId === event.deploymentId;
    });
    if (earlier) {
      this.ids.set(this.key(event), earlier.id);
      return earlier.id;
    }
    return this.create(event);
  }

  private async status(id: number, state: StatusState, description: string): Promise<void> {
    const runUrl = this.options.runUrl;
    await this.octokit.rest.repos.createDeploymentStatus({
      owner: this.owner,
      repo: this.repo,
      deployment_id: id,
      state,
      description: clip(description),
      ...(runUrl ? { log_url: runUrl, environment_url: runUrl } : {}),
    });
  }

  private async safely(event: RingEvent, fn: () => Promise<void>): Promise<void> {
    if (this.disabled) return;
    try {
      await fn();
    } catch (error) {
      const status = httpStatus(error);
      const message = this.redact(error instanceof Error ? error.message : String(error));
      // A rate limit is a 403 too, but says nothing about the token's permissions.
      if ((status === 403 && !/rate limit/i.test(message)) || status === 404) {
        this.disabled = true;
        this.options.logger.warning(
          `GitHub Deployments are off for the rest of this run: ${this.options.repository} refused the token (HTTP ${status}: ${message}). ` +
            'Give the job `permissions: deployments: write` (or a github-token that may write deployments); the rollout itself is unaffected.',
        );
        return;
      }
      this.options.logger.warning(
        `GitHub Deployment of ring ${event.ring} (${event.ringName}) not updated${status ? ` (HTTP ${status})` : ''}: ${message}. The rollout goes on.`,
      );
    }
  }

  private redact(text: string): string {
    return redactSecrets(text, [this.options.token]);
  }
}

/** Records GitHub Deployments for a rollout's rings; never throws into the rollout. */
export function githubDeployments(options: GitHubDeploymentsOptions): RingProgress {
  return new DeploymentTracker(options);
}

/**
 * The tracker factory for a GitHub Actions run (the repository, commit and run URL from the
 * runner's variables); undefined outside Actions, where there is no repository to record in.
 */
export function deploymentTrackerFromEnvironment(
  env: NodeJS.ProcessEnv,
  logger: Logger,
  runUrl: string | undefined,
): ((token: string) => RingProgress) | undefined {
  const repository = env.GITHUB_REPOSITORY;
  const sha = env.GITHUB_SHA;
  if (!repository || !sha || !(env.GITHUB_API_URL || env.GITHUB_SERVER_URL)) return undefined;
  const apiUrl = env.GITHUB_API_URL || apiUrlOf(env.GITHUB_SERVER_URL!);
  return (token) =>
    githubDeployments({ token, repository, sha, apiUrl, logger, ...(runUrl ? { runUrl } : {}) });
}

/** github.com's API lives on its own host; GitHub Enterprise Server's under /api/v3. */
function apiUrlOf(serverUrl: string): string {
  const server = serverUrl.replace(/\/+$/, '');
  return server === 'https://github.com' ? 'https://api.github.com' : `${server}/api/v3`;
}
