// Small pieces of the registration: the bounded runner, upload progress lines, ARM error bodies,
// explanations of ARM failures, outputs and the job summary.
import { describe, expect, test } from '@jest/globals';
import { ArmError, readArmErrorBody } from '../../../src/azure/arm-error.js';
import { armScope } from '../../../src/azure/arm-client.js';
import { isPrivateAuthority, signInProblems } from '../../../src/azure/credential-inputs.js';
import { memoryLogger } from '../../../src/logger.js';
import { forEachBounded } from '../../../src/model/bounded.js';
import type { RegisteredModel } from '../../../src/model/register-model.js';
import { explainRegistrationFailure, type RegistrationStep } from '../../../src/model/registration-errors.js';
import { registrationOutputs, registrationSummary } from '../../../src/model/summary.js';
import { createUploadProgress, formatBytes } from '../../../src/model/upload-progress.js';

const REF = { subscriptionId: '00000000-0000-0000-0000-000000000001', resourceGroup: 'rg', workspace: 'ws' };

describe('forEachBounded', () => {
  test('never runs more than the limit at once, and runs everything', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachBounded([...Array(20).keys()], 3, async (item) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      running--;
      done.push(item);
    });
    expect(peak).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  test('stops taking new items after a failure and rethrows it', async () => {
    const started: number[] = [];
    await expect(
      forEachBounded([1, 2, 3, 4, 5, 6], 2, async (item) => {
        started.push(item);
        if (item === 2) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(started.length).toBeLessThan(6);
  });
});

describe('upload progress', () => {
  test('sums per-file counts, logs at most once per interval, and a last line', () => {
    let now = 0;
    const logger = memoryLogger();
    const progress = createUploadProgress({
      totalBytes: 4_000_000,
      logger,
      now: () => now,
      intervalMs: 1000,
    });
    progress.report('a', 1_000_000);
    now = 500;
    progress.report('a', 2_000_000);
    now = 1000;
    progress.report('b', 1_000_000);
    now = 2000;
    progress.report('b', 2_000_000);
    expect(progress.finish()).toBe(4_000_000);
    expect(logger.lines).toEqual([
      'Uploaded 3.0 MB of 4.0 MB (75%), 3.0 MB/s',
      'Uploaded 4.0 MB of 4.0 MB (100%), 2.0 MB/s',
    ]);
  });

  test.each([
    [999, '999 B'],
    [1500, '1.5 kB'],
    [2_500_000, '2.5 MB'],
    [3_210_000_000, '3.21 GB'],
  ])('formatBytes(%d) = %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('ARM errors', () => {
  test.each([
    ['{"error":{"code":"ResourceNotFound","message":"gone"}}', 'ResourceNotFound', 'gone'],
    ['{"code":"Conflict","message":"older shape"}', 'Conflict', 'older shape'],
    ['not json', 'Http500', 'not json'],
    ['', 'Http500', 'HTTP 500'],
    ['{"error":{"code":"X","message":"sig=abcdef123456&se=1"}}', 'X', 'sig=[redacted]&se=1'],
  ])('body %j → %s: %s', (body, code, message) => {
    expect(readArmErrorBody(500, body)).toEqual({ code, message });
  });

  test('the scope of an endpoint', () => {
    expect(armScope('https://management.azure.com/')).toBe('https://management.azure.com/.default');
    expect(armScope('https://management.usgovcloudapi.net')).toBe(
      'https://management.usgovcloudapi.net/.default',
    );
  });

  const context = {
    ref: REF,
    armEndpoint: 'https://management.azure.com',
    identity: 'The identity with client-id c',
  };
  test.each<[ArmError, RegistrationStep, RegExp]>([
    [
      new ArmError(404, 'ResourceGroupNotFound', "Resource group 'rg' could not be found.", 'GET', '/x'),
      'find the workspace',
      /resource-group/,
    ],
    [
      new ArmError(404, 'SubscriptionNotFound', 'no sub', 'GET', '/x'),
      'find the workspace',
      /subscription-id/,
    ],
    [
      new ArmError(404, 'ResourceNotFound', 'no ws', 'GET', '/x'),
      'find the workspace',
      /check workspace .* and resource-group/,
    ],
    [
      new ArmError(
        403,
        'AuthorizationFailed',
        "does not have authorization to perform action 'Microsoft.X/y/action' over scope",
        'POST',
        '/x',
      ),
      'get a SAS for the datastore',
      /client-id c may not get a SAS .*'Microsoft\.X\/y\/action'.*AzureML Data Scientist/,
    ],
    [
      new ArmError(401, 'InvalidAuthenticationTokenTenant', 'wrong issuer.', 'GET', '/x'),
      'find the workspace',
      /tenant-id/,
    ],
    [
      new ArmError(401, 'InvalidAuthenticationToken', 'wrong audience.', 'GET', '/x'),
      'find the workspace',
      /arm-endpoint and authority-host/,
    ],
    [
      new ArmError(429, 'TooManyRequests', 'slow down', 'GET', '/x'),
      'read the model',
      /throttling .* re-run later/,
    ],
    [
      new ArmError(503, 'ServiceUnavailable', 'down', 'PUT', '/x', 'req-1'),
      'register the model version',
      /503 .* re-run the job\. Request id req-1/,
    ],
    [
      new ArmError(400, 'UserError', 'bad body', 'PUT', '/x'),
      'register the model version',
      /refused to register the model version: 400 UserError: bad body/,
    ],
  ])('%s while trying to %s', (error, step, message) => {
    expect(explainRegistrationFailure(error, { ...context, step }).message).toMatch(message);
  });
});

describe('sign-in inputs', () => {
  test.each([
    ['https://login.microsoftonline.com', false],
    ['https://login.microsoftonline.us/', false],
    ['https://login.chinacloudapi.cn', false],
    ['https://127.0.0.5:4443', true],
    [undefined, false],
  ])('authority %s is private: %s', (host, expected) => {
    expect(isPrivateAuthority(host)).toBe(expected);
  });

  test('half-given identities are refused, naming the missing input', () => {
    expect(signInProblems({ clientSecret: 's', clientId: '5a4d1b7e-0000-4000-8000-00000000c003' })).toEqual([
      expect.objectContaining({ input: 'tenant-id' }),
    ]);
    expect(signInProblems({ tenantId: 'contoso.onmicrosoft.com' }, true)).toEqual([
      expect.objectContaining({ input: 'client-id' }),
    ]);
    expect(signInProblems({ tenantId: 'contoso.onmicrosoft.com' }, false)).toEqual([]);
  });
});

describe('outputs and summary', () => {
  const model: RegisteredModel = {
    name: 'resnet',
    version: '3',
    id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/models/resnet/versions/3',
    uri: 'azureml://subscriptions/s/resourcegroups/rg/workspaces/ws/datastores/workspaceblobstore/paths/LocalUpload/h/resnet',
    hash: 'h',
    created: false,
    uploadedBytes: 0,
    modelBytes: 2_000_000,
    fileCount: 2,
    datastore: 'workspaceblobstore',
    access: 'sas',
    workspace: REF,
  };

  test('outputs use the table names', () => {
    expect(registrationOutputs(model)).toEqual({
      'model-name': 'resnet',
      'model-version': '3',
      'model-id': model.id,
      'model-uri': model.uri,
      'model-hash': 'h',
    });
  });

  test('the summary says whether anything was uploaded or created', () => {
    const summary = registrationSummary(model);
    expect(summary).toContain('### Model registered in Azure ML');
    expect(summary).toContain('`resnet` version `3` (already registered with this content)');
    expect(summary).toContain('nothing (this content, 2.0 MB, was already in the datastore)');
    expect(registrationSummary({ ...model, created: true, uploadedBytes: 2_000_000 })).toContain(
      '2.0 MB in 2 file(s)',
    );
  });
});
