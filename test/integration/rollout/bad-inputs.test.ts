// Every input is checked before the first write anywhere: 30 distinct mistakes — in the inputs, the
// rings, the manifest, the connection, and in what the hub holds (a condition it refuses, a ring with
// no device, no fallback, an architecture the image lacks, a rollout in progress, a rolled-back or
// changed release) — each fail through the rollout stage with a message that names it, and the
// sandbox hub's write counter is still 0 at the end.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { parseInputs } from '../../../src/action/parse-inputs.js';
import { memoryLogger } from '../../../src/logger.js';
import { runRolloutStage } from '../../../src/stages/rollout.js';
import type { RunInfo } from '../../../src/stages/index.js';
import { NEVER_MATCHING_CONDITION } from '../../../src/rollout/target-condition.js';
import type { SandboxHub } from '../../../src/sandbox/index.js';
import { startTestHub } from '../../support/sandbox.js';
import { NEW_IMAGE, OLD_IMAGE, seedRelease, TEST_RINGS_YAML } from './support.js';

let hub: SandboxHub;
const files = mkdtempSync(join(tmpdir(), 'rollout-bad-inputs-'));
const file = (name: string, text: string) => {
  const path = join(files, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(async () => {
  hub = await startTestHub({ devices: 'canary=5,pilot=15,fleet=30,lab=3', timeScale: 600 });
  seedRelease(hub); // vision 1.0.0, the fallback of canary, pilot and fleet (not lab)
  seedRelease(hub, '0.9.0', { state: 'rolled-back', targetCondition: NEVER_MATCHING_CONDITION, priority: 9 });
  seedRelease(hub, '2.0.0', {
    app: 'busy',
    state: 'in-progress',
    targetCondition: NEVER_MATCHING_CONDITION,
    labels: { ringIndex: 0, ringName: 'canary', lockOwner: 'run-17' },
  });
  seedRelease(hub, '3.0.0', {
    app: 'changed',
    state: 'held',
    image: OLD_IMAGE,
    targetCondition: "tags.ring='canary'",
    labels: { ringIndex: 0, ringName: 'canary', lockOwner: '42' },
  });
});

afterAll(() => hub.stop());

const RUN: RunInfo = {
  repository: 'acme/vision',
  ref: 'refs/tags/v1.1.0',
  commit: 'c0ffee1234567890',
  runId: '42',
  runUrl: 'https://github.com/acme/vision/actions/runs/42',
};

const modelTemplate = (image: string, module = 'model') =>
  JSON.stringify({
    modulesContent: {
      $edgeAgent: {
        'properties.desired': {
          schemaVersion: '1.1',
          runtime: { type: 'docker', settings: {} },
          systemModules: {
            edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5' } },
            edgeHub: {
              type: 'docker',
              status: 'running',
              restartPolicy: 'always',
              settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5' },
            },
          },
          modules: {
            [module]: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image } },
          },
        },
      },
      $edgeHub: {
        'properties.desired': {
          schemaVersion: '1.2',
          routes: {},
          storeAndForwardConfiguration: { timeToLiveSecs: 7200 },
        },
      },
    },
  });

const ring = (entry: string) => `rings:\n  - {name: canary, tag: ring=canary}\n  - ${entry}\n`;

type Case = [
  name: string,
  overrides: Record<string, string | undefined>,
  message: RegExp,
  run?: Partial<RunInfo>,
];

const CASES: Case[] = [
  // the inputs themselves
  ['restart-policy not a choice', { 'restart-policy': 'sometimes' }, /'sometimes' is not one of: always/],
  ['keep-releases negative', { 'keep-releases': '-1' }, /keep-releases.*negative/],
  ['hub-units 0', { 'hub-units': '0' }, /0 hub units: give the hub's number of units, at least 1/],
  ['no hub to connect to', { 'iothub-connection-string': undefined }, /no IoT Hub to roll out to/],
  ['app with no letter or digit', { app: '---' }, /app name '---' has no letter or digit/],
  [
    'no release on a branch',
    { release: undefined },
    /release.*is required for auto.*refs\/heads\/main is not a release tag/,
    { ref: 'refs/heads/main' },
  ],
  ['module-name with a bad character', { 'module-name': 'model!' }, /'model!' is not a module name/],
  // the rings
  ['rings YAML that does not parse', { rings: 'rings: [ {name: canary' }, /'rings': line 1, column 23: Flow/],
  [
    'a gate setting outside gate:',
    { rings: ring('{name: pilot, tag: ring=pilot, soak: 5m}') },
    /'soak' is a gate setting: move it under gate:/,
  ],
  [
    'double quotes in a condition',
    { rings: ring(`{name: pilot, target-condition: 'tags.ring="pilot"'}`) },
    /single quotes only/,
  ],
  [
    'min-success of 0',
    { rings: ring('{name: pilot, tag: ring=pilot, gate: {min-success: 0}}') },
    /0 would let the ring pass with no device succeeding/,
  ],
  [
    'two rings with one name',
    { rings: ring('{name: canary, tag: ring=pilot}') },
    /duplicate ring name 'canary'/,
  ],
  [
    'rings file that is not there',
    { rings: 'deploy/no-such-rings.yml' },
    /cannot read 'deploy\/no-such-rings.yml'/,
  ],
  // the manifest
  ['image by tag, not digest', { 'image-ref': 'registry.local/vision:1.1.0' }, /digest/],
  ['no image and no template', { 'image-ref': undefined }, /image-ref.*is missing/],
  ['createOptions that are not JSON', { 'create-options': '{HostConfig: ' }, /createOptions/i],
  [
    'registry credentials without a password',
    { 'device-registry-address': 'myacr.azurecr.io', 'device-registry-username': 'puller' },
    /set device-registry-password too/,
  ],
  [
    'template file that is not there',
    { template: join(files, 'missing.template.json') },
    /cannot read '.*missing\.template\.json'/,
  ],
  [
    'template placeholder for a module not built',
    { template: file('other.template.json', modelTemplate('${MODULES.other}')) },
    /unresolved module placeholder \$\{MODULES\.other\}/,
  ],
  [
    'template without the model module',
    { template: file('inference.template.json', modelTemplate(NEW_IMAGE, 'inference')) },
    /has no module 'model' \(it has inference\)/,
  ],
  [
    'env-file that is not there',
    {
      template: file('model.template.json', modelTemplate('${MODULES.model}')),
      'env-file': join(files, 'missing.env'),
    },
    /cannot read '.*missing\.env'/,
  ],
  // the connection
  [
    'connection string without a key',
    { 'iothub-connection-string': 'HostName=hub.example;SharedAccessKeyName=iothubowner' },
    /lacks SharedAccessKey/,
  ],
  [
    'connection string with a wrong key',
    { 'iothub-connection-string': 'WRONG_KEY' },
    /IoT Hub refused to .*401/,
  ],
  // what the hub holds
  [
    'a condition the hub refuses',
    { rings: ring('{name: pilot, target-condition: STARTSWITH(deviceId)}') },
    /IoT Hub refuses the target condition STARTSWITH\(deviceId\): STARTSWITH\(\) takes 2 arguments/,
  ],
  [
    'a ring that reaches no device',
    { rings: 'rings: [{name: canary, tag: ring=nowhere}, {name: pilot, tag: ring=pilot}]' },
    /Ring 1 \(canary\) would reach 0 edge devices with the rings before it; its gate needs at least 1/,
  ],
  [
    'devices with no fallback',
    { rings: ring('{name: lab, tag: ring=lab}') },
    /3 devices of the 8 the rings reach have no other deployment to fall back to/,
  ],
  [
    'an architecture the image lacks',
    { platforms: 'linux/arm64' },
    /report x86_64 \(e\.g\. edge-canary-0001.*\), but the image has no linux\/amd64/,
  ],
  [
    'another release of the app in progress',
    { app: 'busy', release: '2.1.0' },
    /Release 2\.0\.0 of app 'busy' \(busy-2_0_0\) is still rolling out: in-progress at ring 1\/3 \(canary\), held by run run-17/,
  ],
  ['a release that was rolled back', { release: '0.9.0' }, /Release vision-0_9_0 is rolled-back/],
  [
    'a release that exists with other content',
    { app: 'changed', release: '3.0.0' },
    /exists with other content than this run's manifest/,
  ],
  [
    'promote with nothing in progress',
    { command: 'promote', release: undefined },
    /no release in progress to promote/,
    { ref: 'refs/heads/main' },
  ],
  [
    'rollback of a release that is not there',
    { command: 'rollback', release: '5.0.0' },
    /Release 5\.0\.0 of app 'vision' \(deployment vision-5_0_0\) is not on/,
  ],
];

test(`${CASES.length} distinct bad inputs`, () => expect(CASES.length).toBeGreaterThanOrEqual(20));

// A rest parameter keeps the function's length at 0: jest would take a 4th parameter for `done`.
test.each(CASES)('%s fails before any write', async (...[, overrides, message, run]: Case) => {
  const base: Record<string, string | undefined> = {
    app: 'vision',
    release: '1.1.0',
    'iothub-connection-string': hub.connectionString,
    rings: TEST_RINGS_YAML,
    'image-ref': NEW_IMAGE,
  };
  const given = { ...base, ...overrides };
  if (given['iothub-connection-string'] === 'WRONG_KEY') {
    given['iothub-connection-string'] = hub.connectionString.replace(
      /SharedAccessKey=.*/,
      `SharedAccessKey=${Buffer.from('x'.repeat(32)).toString('base64')}`,
    );
  }
  const logger = memoryLogger();
  const attempt = async () => {
    const inputs = parseInputs('rollout', (name) => given[name]);
    return runRolloutStage(
      inputs,
      { logger, run: { ...RUN, ...run }, mask: () => undefined, workDir: files },
      { clock: hub.clock },
    );
  };
  await expect(attempt()).rejects.toThrow(message);
  expect(hub.counters().writes).toBe(0);
});

test('after all of them, the hub has seen no write at all', () => {
  expect(hub.counters().writes).toBe(0);
  expect(hub.counters().queries).toBeGreaterThan(0); // the hub-side checks did run
});
