import { describe, expect, test } from '@jest/globals';
import { imageSummary } from '../../../src/image/build-image.js';
import { factsTable } from '../../../src/markdown.js';
import { registrationSummary } from '../../../src/model/summary.js';
import {
  factsTableText,
  lineageLine,
  pipelineOutputs,
  renderPipelineSummary,
  renderPipelineText,
  type PipelineStory,
} from '../../../src/pipeline/pipeline-summary.js';
import { resolveTrigger } from '../../../src/pipeline/trigger.js';

const DIGEST = `sha256:${'d'.repeat(64)}`;
const IMAGE_REF = `registry.local/vision@${DIGEST}`;

function story(overrides: Partial<PipelineStory> = {}): PipelineStory {
  return {
    trigger: resolveTrigger({
      eventName: 'release',
      payload: { action: 'published', release: { tag_name: 'v1.4.0' } },
    }),
    run: { commit: '0123456789abcdef0123', runUrl: 'https://github.com/acme/vision/actions/runs/7' },
    app: 'vision',
    skipped: [],
    model: {
      outputs: { 'model-name': 'vision', 'model-version': '3', 'model-uri': 'azureml://x' },
      summary: '### Model registered in Azure ML\n',
    },
    image: { outputs: { 'image-ref': IMAGE_REF, digest: DIGEST }, summary: '### Inference image\n' },
    rollout: {
      outputs: { 'deployment-id': 'vision-1_4_0', state: 'completed' },
      summary: '### vision-1_4_0: completed ✅\n',
    },
    ...overrides,
  };
}

describe('the pipeline summary', () => {
  test('heading, lineage, then each stage in order', () => {
    const text = renderPipelineSummary(story());
    expect(text.split('\n').slice(0, 5)).toEqual([
      '## ml-to-iot-edge: `vision` release `1.4.0` ✅',
      '',
      'Trigger: release v1.4.0 published · commit `0123456789ab` · [workflow run](https://github.com/acme/vision/actions/runs/7)',
      '',
      `Lineage: model \`vision\`@\`3\` → image \`${IMAGE_REF}\` → deployment \`vision-1_4_0\``,
    ]);
    const order = ['### Model', '### Inference image', '### vision-1_4_0'].map((h) => text.indexOf(h));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order[0]).toBeGreaterThan(0);
  });

  test('a failed run says why under the heading, with a cross', () => {
    const text = renderPipelineSummary(story({ failure: 'Release vision-1_4_0 was rolled back' }));
    expect(text).toMatch(/^## ml-to-iot-edge: `vision` release `1.4.0` ❌/);
    expect(text).toContain('**Release vision-1_4_0 was rolled back**');
  });

  test('an image given as image-ref gets its own section and outputs; skipped stages are listed', () => {
    const given = story({
      model: undefined,
      image: undefined,
      givenImageRef: IMAGE_REF,
      skipped: ['registration skipped: no workspace input', 'build skipped: image-ref given'],
    });
    const text = renderPipelineSummary(given);
    expect(text).toContain('- registration skipped: no workspace input');
    expect(text).toContain('| digest | `' + DIGEST + '` |');
    expect(text).toContain('given as `image-ref` (not built in this run)');
    expect(lineageLine(given)).toBe(`image \`${IMAGE_REF}\` → deployment \`vision-1_4_0\``);
    expect(pipelineOutputs(given)).toEqual({
      image: 'registry.local/vision',
      digest: DIGEST,
      'image-ref': IMAGE_REF,
      'deployment-id': 'vision-1_4_0',
      state: 'completed',
    });
  });
});

describe('the pipeline report as text, for a terminal', () => {
  const MODEL_SECTION = factsTable('### Model registered in Azure ML', [
    ['Model', '`vision` version `3` (new)'],
    ['Model URI', '`azureml://x`'],
    ['Studio', '[open the model](https://ml.azure.com/model/vision:3)'],
  ]);
  const ROLLOUT_TEXT = 'vision-1_4_0: completed\napp vision · release 1.4.0';

  test('a facts table becomes a title and aligned label: value lines, without marks', () => {
    expect(factsTableText(MODEL_SECTION)).toBe(
      [
        'Model registered in Azure ML',
        '  Model:     vision version 3 (new)',
        '  Model URI: azureml://x',
        '  Studio:    https://ml.azure.com/model/vision:3',
      ].join('\n'),
    );
  });

  test('heading, lineage, then each stage: the rollout text as the stage wrote it', () => {
    const base = story();
    const text = renderPipelineText(
      story({
        model: { ...base.model!, summary: MODEL_SECTION },
        rollout: { ...base.rollout!, text: ROLLOUT_TEXT },
      }),
    );
    const lines = text.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'ml-to-iot-edge: vision release 1.4.0',
      'Trigger: release v1.4.0 published · commit 0123456789ab · workflow run https://github.com/acme/vision/actions/runs/7',
      `Lineage: model vision@3 → image ${IMAGE_REF} → deployment vision-1_4_0`,
    ]);
    const order = ['Model registered in Azure ML', 'Inference image', ROLLOUT_TEXT].map((part) =>
      text.indexOf(part),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order[0]).toBeGreaterThan(0);
    expect(text).not.toMatch(/`|\*\*|^#|\|---|✅/m);
  });

  test('a failure and the skipped steps are said in words', () => {
    const text = renderPipelineText(
      story({
        failure: 'Release vision-1_4_0 was rolled back',
        image: undefined,
        givenImageRef: IMAGE_REF,
        skipped: ['build skipped: image-ref given'],
      }),
    );
    expect(text).toContain('FAILED: Release vision-1_4_0 was rolled back');
    expect(text).toContain('- build skipped: image-ref given');
    expect(text).toContain(`  digest:   ${DIGEST}`);
    expect(text).toContain('  strategy: given as image-ref (not built in this run)');
    expect(text).not.toContain('❌');
  });

  test('the job summary stays Markdown', () => {
    const given = story({ rollout: { ...story().rollout!, text: ROLLOUT_TEXT } });
    expect(renderPipelineSummary(given)).toContain('### vision-1_4_0: completed ✅');
    expect(renderPipelineSummary(given)).not.toContain(ROLLOUT_TEXT);
  });

  test("the registration's and the image's own sections read as plain lines", () => {
    const model = registrationSummary({
      name: 'vision',
      version: '3',
      id: '/subscriptions/s/resourceGroups/rg/providers/x/models/vision/versions/3',
      uri: 'azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/vision',
      hash: 'abc',
      created: true,
      uploadedBytes: 2048,
      modelBytes: 2048,
      fileCount: 2,
      datastore: 'workspaceblobstore',
      access: 'sas',
      workspace: { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws' },
    });
    const image = imageSummary({
      image: 'registry.local/vision',
      digest: DIGEST,
      imageRef: IMAGE_REF,
      tags: ['registry.local/vision:1.4.0'],
      platforms: ['linux/amd64', 'linux/arm64'],
      strategy: 'full',
      strategyReason: 'full: strategy is full',
      pushed: true,
      attestations: 0,
    });
    for (const section of [model, image]) {
      const text = factsTableText(section);
      expect(text).not.toMatch(/`|\||\[|^#/m);
      expect(
        text
          .split('\n')
          .slice(1)
          .every((line) => /^ {2}\S[^:]*: +\S/.test(line)),
      ).toBe(true);
    }
    expect(factsTableText(model)).toContain(
      '  Model URI:    azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/vision',
    );
    expect(factsTableText(image)).toContain(`  digest:    ${DIGEST}`);
  });
});
