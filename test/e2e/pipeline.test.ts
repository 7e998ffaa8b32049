// The root action on the real buildx path: src/entrypoints/pipeline.ts in its own process on a
// release event registers the fixture's model in the sandbox Azure ML workspace, builds the fixture
// project for three platforms (QEMU for the foreign ones) and pushes it to the TLS registry, then
// rolls the image out by digest on the sandbox IoT Hub. The runner trusts the registry's CA and the
// test CA together (scripts/e2e/run-tests.ts).
import { describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import {
  deploymentOnHub,
  releaseEvent,
  releaseSandboxes,
  RUN_URL,
  runRootAction,
} from '../integration/pipeline/support.js';
import { e2e, FIXTURE, fixtureInputs, freshRepository, PLATFORMS } from './support.js';

const sandboxes = releaseSandboxes();

describe('the root action with buildx', () => {
  test('release v2.0.0: model registered, image built for three platforms, rolled out by digest', async () => {
    const repository = freshRepository('pipeline');
    const image = `${e2e().registry}/${repository}`;
    const inputs = fixtureInputs(
      repository,
      sandboxes.inputs(join(FIXTURE, 'model'), {
        strategy: 'full',
        // A registry cache, not the GitHub Actions cache the action defaults to inside a workflow.
        'cache-from': `type=registry,ref=${image}:buildcache`,
      }),
    );
    const run = await runRootAction(inputs, releaseEvent('v2.0.0'), {}, 9 * 60_000);
    expect(run.errors).toEqual([]);
    expect(run.status).toBe(0);

    const { outputs } = run;
    expect(outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outputs).toMatchObject({
      'model-name': 'vision',
      'model-version': '1',
      image,
      'image-ref': `${image}@${outputs.digest}`,
      platforms: PLATFORMS.join(','),
      'build-strategy': 'full',
      'deployment-id': 'vision-2_0_0',
      state: 'completed',
    });
    expect(outputs.tags).toContain(`${image}:2.0.0`);

    expect(run.summary).toContain(
      `Lineage: model \`vision\`@\`1\` → image \`${outputs['image-ref']}\` → deployment \`vision-2_0_0\``,
    );
    expect(run.summary).toContain(`| platforms | ${PLATFORMS.join(', ')} |`);
    expect(run.summary).toMatch(/\| strategy \| full/);
    expect(run.summary).toMatch(/\| 2 \| fleet \| 6 \| 6 \| 6 \| 0 \| 0 \| .* \| ✅ pass \|/);
    expect(run.summary).not.toContain(e2e().registryPassword);
    expect(JSON.stringify(outputs)).not.toContain(e2e().registryPassword);

    const deployment = deploymentOnHub(sandboxes.hub, 'vision-2_0_0');
    expect(deployment.image).toBe(outputs['image-ref']);
    expect(deployment.model).toEqual({ name: 'vision', version: '1', uri: outputs['model-uri'] });
    expect(deployment.state).toMatchObject({ modelVersion: '1', runUrl: RUN_URL, state: 'completed' });
  });
});
