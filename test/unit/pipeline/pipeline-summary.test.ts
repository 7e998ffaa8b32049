import { describe, expect, test } from '@jest/globals';
import {
  lineageLine,
  pipelineOutputs,
  renderPipelineSummary,
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
