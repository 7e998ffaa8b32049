import { describe, expect, test } from '@jest/globals';
import { parseInputs } from '../../../src/action/parse-inputs.js';
import { planImageBuild, type ImagePlan } from '../../../src/image/build-options.js';
import { buildxBuildArgs, imagetoolsCreateArgs, type BuildOutput } from '../../../src/image/buildx-args.js';
import type { RunInfo } from '../../../src/stages/index.js';

const NOW = '2026-01-02T03:04:05.000Z';
const SHA = '0123abcd4567ef890123abcd4567ef8901234567';
const ALL = 'linux/amd64,linux/arm64,linux/arm/v7';

function plan(raw: Record<string, string>, run: RunInfo = {}, inActions = false): ImagePlan {
  const inputs = parseInputs('build-image', (name) => raw[name]);
  const { plan, problems } = planImageBuild(inputs, { run, now: NOW, inActions });
  expect(problems).toEqual([]);
  return plan!;
}

/** The argv the stage runs for a plan (the same mapping as build-image.ts). */
function argv(p: ImagePlan): string[] {
  const output: BuildOutput = !p.push
    ? { kind: 'none' }
    : p.mode === 'per-platform'
      ? { kind: 'push-by-digest', name: p.image }
      : { kind: 'push' };
  return buildxBuildArgs({
    ...p,
    tags: p.tags.map((t) => `${p.image}:${t}`),
    metadataFile: '/tmp/m.json',
    output,
  });
}

const labels = (version: string, title = 'vision'): string[] => [
  '--label',
  `org.opencontainers.image.title=${title}`,
  '--label',
  `org.opencontainers.image.version=${version}`,
  '--label',
  `org.opencontainers.image.created=${NOW}`,
];
const tail = (...flags: string[]): string[] => [
  '--provenance=false',
  '--sbom=false',
  '--metadata-file',
  '/tmp/m.json',
  ...flags,
];
const BASE = { registry: 'myacr.azurecr.io', image: 'vision', tags: 'test' };

describe('buildx build argv', () => {
  // [case, inputs, run, in Actions, argv]
  test.each<[string, Record<string, string>, RunInfo, boolean, string[]]>([
    [
      'defaults: three platforms, pushed',
      BASE,
      {},
      false,
      [
        'buildx',
        'build',
        '--platform',
        ALL,
        '--tag',
        'myacr.azurecr.io/vision:test',
        ...labels('test'),
        ...tail('--push'),
        '.',
      ],
    ],
    [
      'context and Dockerfile',
      { ...BASE, context: 'models/vision', file: 'models/vision/Dockerfile.edge' },
      {},
      false,
      [
        'buildx',
        'build',
        '--file',
        'models/vision/Dockerfile.edge',
        '--platform',
        ALL,
        '--tag',
        'myacr.azurecr.io/vision:test',
        ...labels('test'),
        ...tail('--push'),
        'models/vision',
      ],
    ],
    [
      'named builder, one platform',
      { ...BASE, builder: 'edge-builder', platforms: 'linux/arm64' },
      {},
      false,
      [
        'buildx',
        'build',
        '--builder',
        'edge-builder',
        '--platform',
        'linux/arm64',
        '--tag',
        'myacr.azurecr.io/vision:test',
        ...labels('test'),
        ...tail('--push'),
        '.',
      ],
    ],
    [
      'platforms in their canonical spelling, newline-separated',
      { ...BASE, platforms: 'linux/arm64/v8\nlinux/arm\nlinux/amd64' },
      {},
      false,
      [
        'buildx',
        'build',
        '--platform',
        'linux/arm64,linux/arm/v7,linux/amd64',
        '--tag',
        'myacr.azurecr.io/vision:test',
        ...labels('test'),
        ...tail('--push'),
        '.',
      ],
    ],
    [
      'release tag with latest, commit and repository labels',
      { registry: 'myacr.azurecr.io', image: 'team/vision', latest: 'true' },
      {
        ref: 'refs/tags/v1.4.0',
        commit: SHA,
        repository: 'contoso/edge',
        runUrl: 'https://github.example.com/contoso/edge/actions/runs/9',
      },
      false,
      [
        'buildx',
        'build',
        '--platform',
        ALL,
        '--tag',
        'myacr.azurecr.io/team/vision:1.4.0',
        '--tag',
        'myacr.azurecr.io/team/vision:1.4',
        '--tag',
        'myacr.azurecr.io/team/vision:1',
        '--tag',
        'myacr.azurecr.io/team/vision:sha-0123abc',
        '--tag',
        'myacr.azurecr.io/team/vision:latest',
        '--label',
        'org.opencontainers.image.title=team/vision',
        '--label',
        'org.opencontainers.image.source=https://github.example.com/contoso/edge',
        '--label',
        `org.opencontainers.image.revision=${SHA}`,
        '--label',
        'org.opencontainers.image.version=1.4.0',
        '--label',
        `org.opencontainers.image.created=${NOW}`,
        ...tail('--push'),
        '.',
      ],
    ],
    [
      'image from the app name',
      { registry: 'localhost:5000', app: 'Vision App', tags: 'x' },
      {},
      false,
      [
        'buildx',
        'build',
        '--platform',
        ALL,
        '--tag',
        'localhost:5000/vision-app:x',
        ...labels('x', 'vision-app'),
        ...tail('--push'),
        '.',
      ],
    ],
    [
      'user labels override defaults; build args in order',
      {
        ...BASE,
        labels: 'org.opencontainers.image.title=Vision\ncom.example.team=edge',
        'build-args': 'BASE_IMAGE=busybox:1.36\nMODEL_DIR=model',
      },
      {},
      false,
      [
        'buildx',
        'build',
        '--platform',
        ALL,
        '--tag',
        'myacr.azurecr.io/vision:test',
        '--label',
        'org.opencontainers.image.title=Vision',
        '--label',
        'org.opencontainers.image.version=test',
        '--label',
        `org.opencontainers.image.created=${NOW}`,
        '--label',
        'com.example.team=edge',
        '--build-arg',
        'BASE_IMAGE=busybox:1.36',
        '--build-arg',
        'MODEL_DIR=model',
        ...tail('--push'),
        '.',
      ],
    ],
    [
      'explicit caches (attribute lists rejoined after the comma split)',
      {
        ...BASE,
        'cache-from': 'type=registry,ref=myacr.azurecr.io/vision:cache\nmyacr.azurecr.io/vision:cache2',
        'cache-to': 'type=registry,ref=myacr.azurecr.io/vision:cache,mode=max',
      },
      {},
      true,
      [
        'buildx',
        'build',
        '--platform',
        ALL,
        '--tag',
        'myacr.azurecr.io/vision:test',
        ...labels('test'),
        '--cache-from',
        'type=registry,ref=myacr.azurecr.io/vision:cache',
        '--cache-from',
        'myacr.azurecr.io/vision:cache2',
        '--cache-to',
        'type=registry,ref=myacr.azurecr.io/vision:cache,mode=max',
        ...tail('--push'),
        '.',
      ],
    ],
    [
      'GitHub Actions cache by default inside Actions',
      BASE,
      { runId: '42' },
      true,
      [
        'buildx',
        'build',
        '--platform',
        ALL,
        '--tag',
        'myacr.azurecr.io/vision:test',
        ...labels('test'),
        '--cache-from',
        'type=gha,scope=ml-to-iot-edge-vision',
        '--cache-to',
        'type=gha,scope=ml-to-iot-edge-vision,mode=max,ignore-error=true',
        ...tail('--push'),
        '.',
      ],
    ],
    [
      'provenance and SBOM attestations',
      { ...BASE, provenance: 'true', sbom: 'true' },
      {},
      false,
      [
        'buildx',
        'build',
        '--platform',
        ALL,
        '--tag',
        'myacr.azurecr.io/vision:test',
        ...labels('test'),
        '--provenance=true',
        '--sbom=true',
        '--metadata-file',
        '/tmp/m.json',
        '--push',
        '.',
      ],
    ],
    [
      'build only',
      { ...BASE, push: 'false' },
      {},
      false,
      [
        'buildx',
        'build',
        '--platform',
        ALL,
        '--tag',
        'myacr.azurecr.io/vision:test',
        ...labels('test'),
        ...tail(),
        '.',
      ],
    ],
    [
      'per-platform: one platform pushed by digest, no tag, cache scoped to the platform',
      {
        registry: 'myacr.azurecr.io',
        image: 'vision',
        'build-mode': 'per-platform',
        platforms: 'linux/arm/v7',
      },
      { commit: SHA, runId: '1' },
      true,
      [
        'buildx',
        'build',
        '--platform',
        'linux/arm/v7',
        '--label',
        'org.opencontainers.image.title=vision',
        '--label',
        `org.opencontainers.image.revision=${SHA}`,
        '--label',
        `org.opencontainers.image.created=${NOW}`,
        '--cache-from',
        'type=gha,scope=ml-to-iot-edge-vision-linux-arm-v7',
        '--cache-to',
        'type=gha,scope=ml-to-iot-edge-vision-linux-arm-v7,mode=max,ignore-error=true',
        ...tail(
          '--output',
          'type=image,name=myacr.azurecr.io/vision,push-by-digest=true,name-canonical=true,push=true',
        ),
        '.',
      ],
    ],
  ])('%s', (_name, raw, run, inActions, expected) => {
    expect(argv(plan(raw, run, inActions))).toEqual(expected);
  });

  test('model labels when the pipeline knows the model', () => {
    const p = planImageBuild(
      { ...BASE, tags: ['t'], 'model-name': 'vibration', 'model-version': '7' },
      { run: {}, now: NOW, inActions: false },
    ).plan!;
    expect(argv(p)).toEqual(
      expect.arrayContaining([
        '--label',
        'ml-to-iot-edge.model.name=vibration',
        '--label',
        'ml-to-iot-edge.model.version=7',
      ]),
    );
  });

  // Every combination of the switches: the argv keeps its shape.
  const SWITCHES = [
    'push',
    'provenance',
    'sbom',
    'latest',
    'inActions',
    'builder',
    'file',
    'perPlatform',
  ] as const;
  const combinations = Array.from(
    { length: 2 ** SWITCHES.length },
    (_, n) =>
      Object.fromEntries(SWITCHES.map((name, bit) => [name, Boolean(n & (1 << bit))])) as Record<
        (typeof SWITCHES)[number],
        boolean
      >,
  ).filter((c) => !(c.perPlatform && (!c.push || c.latest)));

  test.each(combinations)('combination %j', (c) => {
    const raw: Record<string, string> = {
      registry: 'myacr.azurecr.io',
      image: 'vision',
      push: String(c.push),
      provenance: String(c.provenance),
      sbom: String(c.sbom),
      latest: String(c.latest),
      ...(c.builder ? { builder: 'b1' } : {}),
      ...(c.file ? { file: 'Dockerfile.edge' } : {}),
      ...(c.perPlatform ? { 'build-mode': 'per-platform', platforms: 'linux/arm64' } : {}),
    };
    const args = argv(
      plan(raw, { ref: 'refs/heads/main', commit: SHA, runId: c.inActions ? '1' : undefined }, c.inActions),
    );
    const count = (flag: string) => args.filter((a) => a === flag).length;
    expect(args.slice(0, 2)).toEqual(['buildx', 'build']);
    expect(args.at(-1)).toBe('.');
    expect(count('--platform')).toBe(1);
    expect(args[args.indexOf('--platform') + 1]).toBe(c.perPlatform ? 'linux/arm64' : ALL);
    expect(args).toContain(`--provenance=${c.provenance}`);
    expect(args).toContain(`--sbom=${c.sbom}`);
    expect(count('--metadata-file')).toBe(1);
    expect(count('--builder')).toBe(c.builder ? 1 : 0);
    expect(count('--file')).toBe(c.file ? 1 : 0);
    expect(count('--push')).toBe(c.push && !c.perPlatform ? 1 : 0);
    expect(count('--output')).toBe(c.perPlatform ? 1 : 0);
    expect(count('--tag')).toBe(c.perPlatform ? 0 : 2 + (c.latest ? 1 : 0));
    expect(count('--cache-from')).toBe(c.inActions ? 1 : 0);
    expect(count('--cache-to')).toBe(c.inActions ? 1 : 0);
    // Every flag that takes a value has one, and no value looks like a flag.
    for (const flag of [
      '--builder',
      '--file',
      '--platform',
      '--tag',
      '--label',
      '--cache-from',
      '--cache-to',
      '--metadata-file',
      '--output',
    ])
      args.forEach((a, i) => a === flag && expect(args[i + 1]).toMatch(/^[^-]/));
  });
});

describe('buildx imagetools create argv', () => {
  test.each<[string, Parameters<typeof imagetoolsCreateArgs>[0], string[]]>([
    [
      'two tags from three digests',
      { tags: ['r/app:1.0', 'r/app:1'], sources: ['r/app@sha256:a', 'r/app@sha256:b', 'r/app@sha256:c'] },
      [
        'buildx',
        'imagetools',
        'create',
        '--tag',
        'r/app:1.0',
        '--tag',
        'r/app:1',
        'r/app@sha256:a',
        'r/app@sha256:b',
        'r/app@sha256:c',
      ],
    ],
    [
      'with a builder',
      { builder: 'b1', tags: ['r/app:x'], sources: ['r/app@sha256:a'] },
      ['buildx', 'imagetools', 'create', '--builder', 'b1', '--tag', 'r/app:x', 'r/app@sha256:a'],
    ],
  ])('%s', (_name, create, expected) => {
    expect(imagetoolsCreateArgs(create)).toEqual(expected);
  });
});
