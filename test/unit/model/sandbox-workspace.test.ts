// The sandbox Azure ML workspace's rules (model registry, datastores, routes) and its fault injection,
// without HTTP.
import { describe, expect, test } from '@jest/globals';
import { actionOf, matchArmPath } from '../../../src/sandbox/aml/arm-routes.js';
import { AmlFaults } from '../../../src/sandbox/aml/faults.js';
import { SandboxHttpError } from '../../../src/sandbox/aml/http-errors.js';
import { SandboxWorkspace, type SandboxDatastore } from '../../../src/sandbox/aml/workspace-model.js';

const IDENTITY = { subscriptionId: 'sub', resourceGroup: 'rg', workspace: 'ws', location: 'sandbox' };
const DATASTORE: SandboxDatastore = {
  name: 'workspaceblobstore',
  credentialsType: 'AccountKey',
  isDefault: true,
  accountName: 'devstoreaccount1',
  containerName: 'azureml-blobstore-x',
  endpoint: '127.0.0.1:10000',
  protocol: 'https',
};
const uri = (hash: string) =>
  `azureml://subscriptions/sub/resourcegroups/rg/workspaces/ws/datastores/workspaceblobstore/paths/LocalUpload/${hash}/m.onnx`;
const body = (hash: string, extra: Record<string, unknown> = {}) => ({
  properties: { modelUri: uri(hash), modelType: 'custom_model', ...extra },
});

function errorOf(fn: () => unknown): { status: number; code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof SandboxHttpError) {
      const { code, message } = (error.body as { error: { code: string; message: string } }).error;
      return { status: error.status, code, message };
    }
    throw error;
  }
  throw new Error('no error');
}

describe('sandbox workspace: model versions', () => {
  test('the first PUT creates the container; nextVersion follows the highest numeric version', () => {
    const ws = new SandboxWorkspace(IDENTITY, [DATASTORE]);
    expect(errorOf(() => ws.containerResource('m'))).toMatchObject({ status: 404, code: 'UserError' });
    expect(ws.putVersion('m', '1', body('a'), 'c').status).toBe(201);
    expect(ws.putVersion('m', '1.4.0', body('b'), 'c').status).toBe(201);
    expect(ws.putVersion('m', '7', body('c'), 'c').status).toBe(201);
    expect(ws.containerResource('m')).toMatchObject({ properties: { nextVersion: '8', latestVersion: '7' } });
  });

  test('same path: 200 and the mutable fields change; another path: 409 Asset paths cannot be updated', () => {
    const ws = new SandboxWorkspace(IDENTITY, [DATASTORE]);
    ws.putVersion('m', '1', body('a', { tags: { commit: 'x' } }), 'c');
    const updated = ws.putVersion('m', '1', body('a', { tags: { commit: 'y' }, description: 'd' }), 'c');
    expect(updated.status).toBe(200);
    expect(updated.resource).toMatchObject({
      name: '1',
      properties: { tags: { commit: 'y' }, description: 'd', modelUri: uri('a') },
    });
    expect(errorOf(() => ws.putVersion('m', '1', body('b'), 'c'))).toEqual({
      status: 409,
      code: 'UserError',
      message: 'Asset paths cannot be updated.',
    });
    ws.assetPathConflictStatus = 400;
    expect(errorOf(() => ws.putVersion('m', '1', body('b'), 'c')).status).toBe(400);
  });

  test.each([
    ['-bad', '1', body('a'), /Model name/],
    ['m', 'v/1', body('a'), /version/],
    ['m', '1', {}, /properties/],
    ['m', '1', { properties: {} }, /modelUri is required/],
    ['m', '1', body('a', { modelType: 'onnx' }), /Model type 'onnx'/],
    ['m', '1', body('a', { tags: { n: 1 } }), /tags must be an object of strings/],
    ['m', '1', { properties: { modelUri: uri('a').replace('/ws/', '/other/') } }, /another workspace/],
    [
      'm',
      '1',
      { properties: { modelUri: uri('a').replace('workspaceblobstore', 'nostore') } },
      /Datastore 'nostore'/,
    ],
    ['m', '1', { properties: { modelUri: 'ftp://x' } }, /not a supported URI/],
  ])('PUT %s/%s with %j → 400', (name, version, request, message) => {
    const ws = new SandboxWorkspace(IDENTITY, [DATASTORE]);
    const error = errorOf(() => ws.putVersion(name, version, request, 'c'));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });

  test('datastores list filters on isDefault', () => {
    const ws = new SandboxWorkspace(IDENTITY, [
      DATASTORE,
      { ...DATASTORE, name: 'other', isDefault: false, credentialsType: 'None' },
    ]);
    expect((ws.listDatastores(true) as { value: unknown[] }).value).toHaveLength(1);
    expect((ws.listDatastores(false) as { value: unknown[] }).value).toHaveLength(2);
    expect(ws.datastoreResource(DATASTORE)).toMatchObject({
      properties: {
        datastoreType: 'AzureBlob',
        credentials: { credentialsType: 'AccountKey' },
        endpoint: '127.0.0.1:10000',
      },
    });
  });
});

describe('sandbox ARM routes', () => {
  const base =
    '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';
  test.each([
    ['', 'workspace', 'GET', 'workspaces/read'],
    ['/datastores', 'datastores', 'GET', 'workspaces/datastores/read'],
    [
      '/DATASTORES/workspaceblobstore/listSecrets',
      'listSecrets',
      'POST',
      'workspaces/datastores/listsecrets/action',
    ],
    ['/models/m', 'model', 'GET', 'workspaces/models/read'],
    ['/models/m/versions/1', 'version', 'PUT', 'workspaces/models/versions/write'],
    ['/models/m/versions/1', 'version', 'PATCH', undefined],
  ])('%s → %s, %s needs %s', (rest, kind, method, action) => {
    const target = matchArmPath(base + rest)!;
    expect(target.route.kind).toBe(kind);
    expect(actionOf(method, target.route)).toBe(action);
  });

  test('unknown resource types are 404 InvalidResourceType; other paths are not workspace paths', () => {
    expect(() => matchArmPath(`${base}/computes/c`)).toThrow(SandboxHttpError);
    expect(matchArmPath('/subscriptions/sub/resourceGroups/rg')).toBeUndefined();
  });
});

describe('sandbox faults', () => {
  test('throttle rules answer 429 with their Retry-After, then expire', () => {
    const faults = new AmlFaults();
    faults.add({ fault: 'throttle', path: '**/models/*', retryAfterSeconds: 2, times: 1 });
    expect(faults.plan('GET', '/x/models/m').outcome).toEqual({ fault: 'throttle', retryAfterSeconds: 2 });
    expect(faults.plan('GET', '/x/models/m').outcome).toBeUndefined();
  });

  test('5xx and reset rules come from the shared injector; remove takes a rule out', () => {
    const faults = new AmlFaults();
    const id = faults.add({ fault: 'error', status: 503, method: 'PUT' });
    expect(faults.plan('GET', '/a').outcome).toBeUndefined();
    expect(faults.plan('PUT', '/a').outcome).toEqual({ fault: 'error', status: 503 });
    expect(faults.remove(id)).toBe(true);
    expect(faults.plan('PUT', '/a').outcome).toBeUndefined();
  });

  test('a barrier holds matching requests until all parties arrived', async () => {
    const faults = new AmlFaults();
    faults.barrier({ method: 'GET', path: '**/models/m', parties: 2 });
    let firstPassed = false;
    const first = faults.pass('GET', '/w/models/m').then(() => (firstPassed = true));
    await faults.pass('GET', '/w/other');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(firstPassed).toBe(false);
    await faults.pass('GET', '/w/models/m');
    await first;
    expect(firstPassed).toBe(true);
    await faults.pass('GET', '/w/models/m'); // spent: passes at once
  });
});
