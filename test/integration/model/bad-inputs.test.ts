// Bad inputs to the register-model stage: each is refused before anything is uploaded, with a message
// that names the input and says what to change. Local problems come back together as one InputError;
// the workspace and sign-in ones come from the sandbox (ARM 404s, Entra AADSTS codes, ARM 401/403).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, parseInputs } from '../../../src/action/parse-inputs.js';
import { memoryLogger } from '../../../src/logger.js';
import { GITHUB_AUDIENCE, GITHUB_ISSUER } from '../../../src/sandbox/aml/entra.js';
import {
  SANDBOX_CLIENT_ID,
  SANDBOX_GITHUB_SUBJECT,
  type SandboxAml,
} from '../../../src/sandbox/aml/index.js';
import { runStage, type StageContext } from '../../../src/stages/index.js';
import { blobNames, modelWorkspace, startTestAml } from './support.js';

const OTHER_TENANT = '5a4d1b7e-0000-4000-8000-00000000d004';
const SECRET = 'bad-inputs-client-secret';
let sandbox: SandboxAml;
let files: ReturnType<typeof modelWorkspace>;
let model: string;

beforeAll(async () => {
  sandbox = await startTestAml({
    clients: [
      {
        clientId: SANDBOX_CLIENT_ID,
        clientSecret: SECRET,
        federatedCredentials: [
          { issuer: GITHUB_ISSUER, subject: SANDBOX_GITHUB_SUBJECT, audience: GITHUB_AUDIENCE },
        ],
      },
      // The same application in another tenant: it signs in, but not in the subscription's tenant.
      { clientId: SANDBOX_CLIENT_ID, tenantId: OTHER_TENANT, clientSecret: SECRET },
    ],
  });
  files = modelWorkspace();
  model = files.write({ 'model.onnx': 'weights', 'labels.txt': 'cat' }, 'model');
  mkdirSync(join(files.root, 'empty'));
  files.write({ '.amlignore': '*\n', 'a.bin': 'a' }, 'all-ignored');
  files.write({ '.amlignore': 'ok\n!\n', 'a.bin': 'a' }, 'bad-ignore');
});
afterAll(async () => {
  await sandbox?.stop();
  files?.cleanup();
});

type Inputs = Record<string, string | undefined>;

/** Runs the stage with the sandbox's inputs changed by `change`; returns what it threw. */
async function failure(change: Inputs, context: Partial<StageContext> = {}): Promise<Error> {
  const raw: Inputs = { ...sandbox.inputs(), 'model-path': model, 'model-name': 'bad-inputs', ...change };
  try {
    const inputs = parseInputs('register-model', (name) => raw[name]);
    await runStage('register-model', inputs, {
      logger: memoryLogger(),
      run: { commit: 'c0ffee', repository: 'example/models' },
      mask: () => undefined,
      workDir: files.root,
      ...context,
    });
  } catch (error) {
    return error as Error;
  }
  throw new Error('the stage succeeded');
}

describe('input problems, found before any request', () => {
  test.each<[string, Inputs, string, RegExp]>([
    ['missing model-path', { 'model-path': undefined }, 'model-path', /is required/],
    [
      'model-path that does not exist',
      { 'model-path': join('nowhere', 'model.onnx') },
      'model-path',
      /does not exist .*point model-path at the model/,
    ],
    [
      'an empty folder',
      { 'model-path': join('ROOT', 'empty') },
      'model-path',
      /is an empty folder \(it holds no files\): point model-path at the model/,
    ],
    [
      'a folder whose files are all ignored',
      { 'model-path': join('ROOT', 'all-ignored') },
      'model-path',
      /every file in it is excluded by \.amlignore/,
    ],
    [
      'an invalid ignore pattern',
      { 'model-path': join('ROOT', 'bad-ignore') },
      'model-path',
      /\.amlignore line 2: '!' is not a valid ignore pattern.*fix the ignore file/,
    ],
    [
      'a model name starting with -',
      { 'model-name': '-resnet' },
      'model-name',
      /not a valid Azure ML model name: use 1–255 letters, digits, '-' and '_'.*e\.g\. 'resnet'/,
    ],
    [
      'a model name with spaces and dots',
      { 'model-name': 'my model.v2' },
      'model-name',
      /e\.g\. 'my-model-v2'/,
    ],
    [
      'a model name of 256 characters',
      { 'model-name': 'm'.repeat(256) },
      'model-name',
      /not a valid Azure ML model name/,
    ],
    [
      'a model version with a slash',
      { 'model-version': '1/2' },
      'model-version',
      /not a valid model version.*or leave it empty/,
    ],
    ['a model version with a colon', { 'model-version': 'v:1' }, 'model-version', /e\.g\. '3' or '1\.4\.0'/],
    ['a tag without =', { 'model-tags': 'novalue' }, 'model-tags', /'novalue' is not key=value/],
    [
      'a tag that contradicts the run',
      { 'model-tags': 'commit=deadbeef' },
      'model-tags',
      /tag 'commit' is set from the run \('c0ffee'\).*remove it or use another key/,
    ],
    [
      'an unknown model type',
      { 'model-type': 'onnx' },
      'model-type',
      /not one of: custom_model, mlflow_model, triton_model/,
    ],
    [
      'an mlflow_model that is a file',
      { 'model-type': 'mlflow_model', 'model-path': join('ROOT', 'model', 'model.onnx') },
      'model-path',
      /an mlflow_model is a folder.*point model-path at the folder/,
    ],
    [
      'a subscription id that is not a GUID',
      { 'subscription-id': 'my-subscription' },
      'subscription-id',
      /use its GUID/,
    ],
    ['a missing subscription id', { 'subscription-id': undefined }, 'subscription-id', /is required/],
    [
      'a resource group with a slash',
      { 'resource-group': 'rg/evil' },
      'resource-group',
      /not a resource group name: 1–90/,
    ],
    ['a workspace name with !', { workspace: 'ws!' }, 'workspace', /3–33 letters, digits, '-' and '_'/],
    ['a missing workspace', { workspace: undefined }, 'workspace', /is required/],
    [
      'an http ARM endpoint',
      { 'arm-endpoint': 'http://management.azure.com' },
      'arm-endpoint',
      /not an https:\/\/ URL/,
    ],
    [
      'a client id that is not a GUID',
      { 'client-id': 'my-app' },
      'client-id',
      /Application \(client\) ID GUID/,
    ],
    [
      'a client secret without tenant id',
      { 'tenant-id': undefined },
      'tenant-id',
      /is required with client-secret/,
    ],
    [
      'an http authority host',
      { 'authority-host': 'http://login.example' },
      'authority-host',
      /not an https:\/\/ URL/,
    ],
  ])('%s', async (_what, change, input, message) => {
    // Paths under ROOT/ live in this run's temporary folder.
    const resolved = Object.fromEntries(
      Object.entries(change).map(([key, value]) => [
        key,
        value?.startsWith('ROOT') ? join(files.root, value.slice(5)) : value,
      ]),
    );
    const error = await failure(resolved);
    expect(error).toBeInstanceOf(InputError);
    const problem = (error as InputError).problems.find((p) => p.input === input);
    expect(problem).toBeDefined();
    expect(problem!.message).toMatch(message);
    expect(error.message).toContain(`'${input}'`);
  });

  test('every problem is reported at once', async () => {
    const error = (await failure({
      'model-name': '-x',
      'model-version': 'a/b',
      'subscription-id': 'nope',
      'client-id': 'app',
    })) as InputError;
    expect(error.problems.map((p) => p.input).sort()).toEqual([
      'client-id',
      'model-name',
      'model-version',
      'subscription-id',
    ]);
    expect(error.message).toMatch(/^4 inputs are not valid:/);
  });
});

describe('workspace and sign-in problems, found before any upload', () => {
  test.each<[string, Inputs, RegExp]>([
    [
      'a workspace that does not exist',
      { workspace: 'no-such-ws' },
      /workspace 'no-such-ws' in resource-group 'ml-sandbox-rg' .* was not found .*check workspace .* and resource-group/,
    ],
    [
      'a resource group that does not exist',
      { 'resource-group': 'no-such-rg' },
      /Resource group 'no-such-rg' was not found .*check resource-group/,
    ],
    [
      'a subscription that does not exist',
      { 'subscription-id': '5a4d1b7e-0000-4000-8000-0000000000ff' },
      /check subscription-id/,
    ],
    [
      'a wrong client secret',
      { 'client-secret': 'wrong-secret-value' },
      /AADSTS7000215.*client-secret is not a valid secret of this application/,
    ],
    [
      'an unknown client id',
      { 'client-id': '5a4d1b7e-0000-4000-8000-0000000000aa' },
      /No application with client-id 5a4d1b7e-0000-4000-8000-0000000000aa exists in tenant-id .*check both inputs/,
    ],
    [
      'an unknown tenant',
      { 'tenant-id': '5a4d1b7e-0000-4000-8000-0000000000bb' },
      /AADSTS90002.*check tenant-id/,
    ],
    [
      'a tenant the subscription is not in',
      { 'tenant-id': OTHER_TENANT },
      /Set tenant-id to the tenant of the subscription/,
    ],
  ])('%s', async (_what, change, message) => {
    const error = await failure(change);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(SECRET);
  });

  test('GitHub OIDC with a subject no federated credential has', async () => {
    const error = await failure(
      { 'client-secret': undefined },
      {
        getIdToken: async (audience) =>
          sandbox.githubIdToken({ audience, subject: 'repo:example/models:pull_request' }),
      },
    );
    expect(error.message).toMatch(
      /AADSTS70021.*No federated credential of client-id .* matches .*subject 'repo:example\/models:pull_request'/,
    );
  });

  test('GitHub OIDC when the workflow may not request an ID token', async () => {
    const error = await failure(
      { 'client-secret': undefined },
      {
        getIdToken: async () => {
          throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
        },
      },
    );
    expect(error.message).toMatch(/GitHub did not issue an OIDC token .*permissions: id-token: write/);
  });

  test('an identity without read access to the workspace', async () => {
    sandbox.deny('workspaces/datastores/read');
    try {
      const error = await failure({});
      expect(error.message).toMatch(
        /client-id 5a4d1b7e-0000-4000-8000-00000000c003 may not find the workspace \(AuthorizationFailed.*'AzureML Data Scientist'/,
      );
    } finally {
      sandbox.allow('workspaces/datastores/read');
    }
  });

  test('nothing was uploaded and no SAS was handed out by any of them', async () => {
    expect(await blobNames(sandbox)).toEqual([]);
    expect(sandbox.counters().listSecrets).toBe(0);
    expect(sandbox.counters().versionPuts).toBe(0);
  });
});
