// The path build-image takes and why: auto falls back to full with a reason, a forced model-layer
// whose preconditions fail names the input and the fix.
import { describe, expect, test } from '@jest/globals';
import { chooseStrategy, type StrategyFacts } from '../../../../src/image/fast-path/choose-strategy.js';

const DOCKERFILE = 'FROM base\nRUN make\nCOPY model/ /app/model/\nCMD ["serve"]\n';
const FACTS: StrategyFacts = {
  requested: 'auto',
  mode: 'multi-platform',
  push: true,
  provenance: false,
  sbom: false,
  modelPath: 'model',
  modelInContext: 'model',
  modelKind: 'folder',
  remoteContext: false,
  dockerfileText: DOCKERFILE,
};

describe('auto', () => {
  test('takes the model layer when the Dockerfile copies the model last', () => {
    expect(chooseStrategy(FACTS)).toEqual({
      decision: {
        strategy: 'model-layer',
        reason: 'model-layer: Dockerfile copies model/ last to /app/model',
        destination: '/app/model',
        modelInContext: 'model',
      },
      problems: [],
    });
  });

  const fallbacks: Array<[string, Partial<StrategyFacts>, string]> = [
    [
      'a RUN after the COPY',
      { dockerfileText: `${DOCKERFILE}RUN chmod -R 755 /app\n` },
      'full: RUN after the model COPY at line 5',
    ],
    ['model outside the context', { modelInContext: '../model' }, 'full: model-path is outside the context'],
    [
      'no model-path',
      { modelPath: undefined, modelInContext: undefined, modelKind: undefined },
      'full: no model-path given',
    ],
    ['missing model', { modelKind: undefined }, "full: model-path 'model' does not exist"],
    ['per-platform builds', { mode: 'per-platform' }, 'full: build-mode is per-platform'],
    ['push off', { push: false }, 'full: push is false'],
    ['provenance', { provenance: true }, 'full: provenance attestations are requested'],
    ['remote context', { remoteContext: true }, 'full: the context is remote'],
    ['unreadable Dockerfile', { dockerfileText: undefined }, 'full: the Dockerfile cannot be read'],
  ];
  test.each(fallbacks)('falls back to full: %s', (_name, change, reason) => {
    expect(chooseStrategy({ ...FACTS, ...change })).toEqual({
      decision: { strategy: 'full', reason },
      problems: [],
    });
  });

  test('model-image-path fills a destination the Dockerfile leaves to a variable', () => {
    const decision = chooseStrategy({
      ...FACTS,
      dockerfileText: 'FROM b\nARG D\nCOPY model ${D}\n',
      modelImagePath: '/srv/model',
    }).decision;
    expect(decision).toMatchObject({ strategy: 'model-layer', destination: '/srv/model' });
    expect(decision.reason).toBe('model-layer: model/ appended at /srv/model (model-image-path)');
  });

  test('environment-image and model-image-path need no Dockerfile and no context', () => {
    const decision = chooseStrategy({
      ...FACTS,
      modelInContext: '../elsewhere',
      dockerfileText: undefined,
      environmentImage: 'oci:env:v1',
      modelImagePath: '/m',
    }).decision;
    expect(decision).toMatchObject({ strategy: 'model-layer', destination: '/m' });
  });
});

describe('forced', () => {
  test('full is full', () => {
    expect(chooseStrategy({ ...FACTS, requested: 'full' }).decision).toEqual({
      strategy: 'full',
      reason: 'full: strategy is full',
    });
  });

  test('model-layer with a RUN after the COPY: a problem on strategy with the fix', () => {
    const { problems } = chooseStrategy({
      ...FACTS,
      requested: 'model-layer',
      dockerfileText: `${DOCKERFILE}RUN chmod -R 755 /app\n`,
    });
    expect(problems).toEqual([
      {
        input: 'strategy',
        message:
          'RUN after the model COPY at line 5: strategy model-layer cannot apply. How to fix: make the model’s COPY the last RUN/COPY/ADD of the final stage, on its own and without flags, or use strategy `full` (or `auto`, which falls back to it)',
      },
    ]);
  });

  const named: Array<[string, Partial<StrategyFacts>, string]> = [
    ['model-path missing', { modelPath: undefined, modelKind: undefined }, 'model-path'],
    ['merge mode', { mode: 'merge' }, 'build-mode'],
    ['sbom', { sbom: true }, 'sbom'],
    ['variable destination', { dockerfileText: 'FROM b\nCOPY model $D\n' }, 'model-image-path'],
    ['outside the context', { modelInContext: '../m' }, 'model-path'],
    ['model-image-path disagrees', { modelImagePath: '/elsewhere' }, 'model-image-path'],
  ];
  test.each(named)('model-layer refused, naming the input: %s', (_name, change, input) => {
    const { problems } = chooseStrategy({ ...FACTS, requested: 'model-layer', ...change });
    expect(problems.map((p) => p.input)).toEqual([input]);
    expect(problems[0]!.message).toMatch(/strategy model-layer cannot apply\. How to fix: /);
  });

  test('oci-layout needs the model-layer path, even with auto', () => {
    const { problems } = chooseStrategy({
      ...FACTS,
      ociLayout: 'out',
      dockerfileText: `${DOCKERFILE}RUN x\n`,
    });
    expect(problems[0]).toMatchObject({
      input: 'strategy',
      message: expect.stringMatching(/oci-layout is written by the model-layer path only/),
    });
    expect(chooseStrategy({ ...FACTS, ociLayout: 'out', requested: 'full' }).problems[0]!.input).toBe(
      'oci-layout',
    );
    expect(chooseStrategy({ ...FACTS, ociLayout: 'out', push: false }).decision.strategy).toBe('model-layer');
  });
});
