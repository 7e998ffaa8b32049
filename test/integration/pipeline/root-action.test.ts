// The root action end to end, as a release would run it: src/entrypoints/pipeline.ts in its own
// process with INPUT_* variables and a release event, against the sandbox Azure ML workspace (blobs
// in Azurite) and the sandbox IoT Hub. The image is given as `image-ref` (the buildx path is in the
// e2e tier); GitHub Deployments go to a stand-in of the GitHub REST API (there is no local GitHub).
// Then three bad inputs of three stages, reported together, with nothing written anywhere.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { expectNoSecrets, sharedAccessKeyOf } from '../rollout-client/secrets.js';
import { blobNames, modelWorkspace } from '../model/support.js';
import { NEW_IMAGE } from '../rollout/support.js';
import { GitHubStandIn } from '../../support/github-api.js';
import { recordTestSecret } from '../../support/journal.js';
import {
  COMMIT,
  deploymentOnHub,
  releaseEvent,
  releaseSandboxes,
  RUN_URL,
  runRootAction,
} from './support.js';

/** An image whose model module crash-loops on the canary devices. */
const CRASHING_IMAGE = `registry.local/vision@sha256:${'c'.repeat(64)}`;
const sandboxes = releaseSandboxes({ behaviours: ['canary:crash-loop@vision@sha256:cccc'] });
let files: ReturnType<typeof modelWorkspace>;
let modelPath: string;

beforeAll(() => {
  files = modelWorkspace();
  modelPath = files.write({ 'model.onnx': 'weights v1.1.0', 'labels.txt': 'cat\ndog' }, 'model');
});

afterAll(() => files?.cleanup());

const github = new GitHubStandIn();
const GITHUB_TOKEN = 'ghs_rootActionStandInToken0123456789abcdef';
recordTestSecret(GITHUB_TOKEN); // the suite's secret scan looks for it in every journaled line
beforeAll(() => github.start());
afterAll(() => github.stop());

function inputs(overrides: Record<string, string> = {}): Record<string, string> {
  return sandboxes.inputs(modelPath, { 'image-ref': NEW_IMAGE, ...overrides });
}

describe('the root action', () => {
  test('a published release: registered, rolled out ring by ring, one summary with the lineage', async () => {
    const run = await runRootAction(
      inputs({ 'github-deployments': 'true', 'github-token': GITHUB_TOKEN }),
      releaseEvent('v1.1.0'),
      { GITHUB_API_URL: github.url },
    );
    expect(run.errors).toEqual([]);
    expect(run.status).toBe(0);

    expect(run.outputs).toMatchObject({
      'model-name': 'vision',
      'model-version': '1',
      'image-ref': NEW_IMAGE,
      'deployment-id': 'vision-1_1_0',
      state: 'completed',
      ring: 'fleet',
    });
    expect(run.durationMs).toBeLessThan(100_000);
    expect(run.outputs['model-uri']).toMatch(/^azureml:\/\/subscriptions\/.*\/workspaces\/ml-sandbox-ws\//);

    expect(run.summary).toContain('## ml-to-iot-edge: `vision` release `1.1.0` ✅');
    expect(run.summary).toContain(`Trigger: release v1.1.0 published · commit \`${COMMIT.slice(0, 12)}\``);
    expect(run.summary).toContain(`[workflow run](${RUN_URL})`);
    expect(run.summary).toContain(
      `Lineage: model \`vision\`@\`1\` → image \`${NEW_IMAGE}\` → deployment \`vision-1_1_0\``,
    );
    expect(run.summary).toContain('### Model registered in Azure ML');
    expect(run.summary).toContain('### Inference image');
    expect(run.summary).toContain(
      '| # | Ring | Targeted | Applied | Succeeded | Failed | Unhealthy | Duration | Verdict |',
    );
    expect(run.summary).toMatch(/\| 2 \| fleet \| 6 \| 6 \| 6 \| 0 \| 0 \| .* \| ✅ pass \|/);
    expect(run.summary).toContain('build skipped: image-ref given');
    // Secrets reach the runner only in the commands that mask them.
    const { hub, aml } = sandboxes;
    const secrets = [
      hub.connectionString,
      sharedAccessKeyOf(hub.connectionString),
      aml.clientSecret,
      GITHUB_TOKEN,
    ];
    const logged = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    expectNoSecrets([run.summary, JSON.stringify(run.outputs), ...logged], secrets);
    // The deployment pins the image by digest, names the registered model and leads back to the run.
    const deployment = deploymentOnHub(hub, 'vision-1_1_0');
    expect(deployment.image).toBe(NEW_IMAGE);
    expect(deployment.model).toEqual({
      name: 'vision',
      version: '1',
      uri: run.outputs['model-uri'],
    });
    expect(deployment.state).toMatchObject({
      release: '1.1.0',
      state: 'completed',
      commit: COMMIT,
      modelName: 'vision',
      modelVersion: '1',
      runUrl: RUN_URL,
    });
    // One GitHub Deployment per ring, at the release's commit, the last ring the production one.
    expect(github.summary()).toEqual([
      { environment: 'canary', states: ['in_progress', 'success'] },
      { environment: 'fleet', states: ['in_progress', 'success'] },
    ]);
    expect(github.deployments.map((d) => [d.ref, d.production_environment])).toEqual([
      [COMMIT, false],
      [COMMIT, true],
    ]);
    expect(github.requests.every((r) => r.authorization === `token ${GITHUB_TOKEN}`)).toBe(true);
  }, 120_000);

  test('a release whose canary fails: rolled back, the step fails, the summary tells why', async () => {
    const run = await runRootAction(inputs({ 'image-ref': CRASHING_IMAGE }), releaseEvent('v1.2.0'));
    expect(run.errors).toEqual([]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(
      /::error::Release vision-1_2_0 was rolled back: ring 1 \(canary\) failed its gate/,
    );
    // The outputs and the summary of what was done are still written.
    expect(run.outputs).toMatchObject({
      'model-version': '1',
      'image-ref': CRASHING_IMAGE,
      'deployment-id': 'vision-1_2_0',
      state: 'rolled-back',
    });
    expect(run.summary).toContain('## ml-to-iot-edge: `vision` release `1.2.0` ❌');
    expect(run.summary).toMatch(/\*\*Release vision-1_2_0 was rolled back/);
    expect(run.summary).toContain('#### Rollback');
    expect(run.summary).toContain('vision-1_1_0');
  }, 120_000);

  test('three bad inputs of three stages: three annotations, nothing written to the hub or the workspace', async () => {
    const { hub, aml } = sandboxes;
    const hubBefore = hub.counters();
    const amlBefore = aml.counters();
    const blobsBefore = await blobNames(aml);
    const run = await runRootAction(
      inputs({
        'model-path': `${modelPath}-missing`,
        rings: 'rings:\n  - {name: canary}\n',
        'client-id': 'not-a-guid',
      }),
      releaseEvent('v1.2.0'),
    );
    expect(run.status).toBe(1);
    expect(run.errors).toHaveLength(3);
    expect(run.errors.join('\n')).toMatch(/::error title=Invalid input.*::model-path: .*does not exist/);
    expect(run.errors.join('\n')).toMatch(/::error title=Invalid input.*::rings: /);
    expect(run.errors.join('\n')).toMatch(
      /::error title=Invalid input.*::client-id: 'not-a-guid' is not a client id/,
    );
    expect(run.outputs).toEqual({});
    expect(run.summary).toBe('');

    const hubAfter = hub.counters();
    expect([hubAfter.writes, hubAfter.reads, hubAfter.queries]).toEqual([
      hubBefore.writes,
      hubBefore.reads,
      hubBefore.queries,
    ]);
    expect(aml.counters()).toEqual(amlBefore);
    expect(await blobNames(aml)).toEqual(blobsBefore);
  });
});
