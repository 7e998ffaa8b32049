// Model registration end to end on the sandbox: the real @azure/identity credentials sign in at the
// sandbox's Entra stand-in, the ARM client talks HTTPS to its Azure ML endpoint, and the real
// @azure/storage-blob uploads to Azurite.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseInputs } from '../../../src/action/parse-inputs.js';
import { createAzureCredential } from '../../../src/azure/credentials.js';
import { memoryLogger } from '../../../src/logger.js';
import { CONTENT_HASH_SEED } from '../../../src/model/content-hash.js';
import { registerModel } from '../../../src/model/register-model.js';
import type { SandboxAml } from '../../../src/sandbox/aml/index.js';
import { main } from '../../../src/cli/main.js';
import { runStage } from '../../../src/stages/index.js';
import { REPO_ROOT } from '../../support/paths.js';
import {
  assertionCredential,
  blobNames,
  depsFor,
  modelWorkspace,
  optionsFor,
  secretCredential,
  startTestAml,
} from './support.js';

const EXAMPLE = join(REPO_ROOT, 'test', 'fixtures', 'model', 'example-model');
let sandbox: SandboxAml;
let files: ReturnType<typeof modelWorkspace>;

beforeAll(async () => {
  sandbox = await startTestAml();
  files = modelWorkspace();
});
afterAll(async () => {
  await sandbox?.stop();
  files?.cleanup();
});

describe('register a model', () => {
  test('a file model: uploaded to LocalUpload/<hash>/<name>, marked complete, registered as version 1', async () => {
    const path = join(files.write({ 'single/model.onnx': randomBytes(300_000) }), 'single', 'model.onnx');
    const deps = depsFor(secretCredential(sandbox));
    const model = await registerModel(
      { ...optionsFor(sandbox, path, 'file-model'), description: 'one file' },
      deps,
    );

    const hash = createHash('md5').update(CONTENT_HASH_SEED).update(readFileSync(path)).digest('hex');
    expect(model).toMatchObject({
      name: 'file-model',
      version: '1',
      hash,
      created: true,
      uploadedBytes: 300_000,
      access: 'sas',
    });
    expect(model.uri).toBe(
      `azureml://subscriptions/${sandbox.subscriptionId}/resourcegroups/${sandbox.resourceGroup}/workspaces/${sandbox.workspace}` +
        `/datastores/workspaceblobstore/paths/LocalUpload/${hash}/model.onnx`,
    );
    expect(model.id).toMatch(/\/workspaces\/ml-sandbox-ws\/models\/file-model\/versions\/1$/);

    const blob = sandbox.containerClient().getBlobClient(`LocalUpload/${hash}/model.onnx`);
    const properties = await blob.getProperties();
    expect(properties.metadata).toEqual({ upload_status: 'completed', name: 'file-model', version: '1' });
    expect(properties.contentLength).toBe(300_000);
    expect(Buffer.from(properties.contentMD5!).toString('hex')).toBe(
      createHash('md5').update(readFileSync(path)).digest('hex'),
    );
    expect((await blob.downloadToBuffer()).equals(readFileSync(path))).toBe(true);

    const version = sandbox.model.versionResourceOf('file-model', '1') as {
      properties: Record<string, unknown>;
    };
    expect(version.properties).toMatchObject({
      modelUri: model.uri,
      modelType: 'custom_model',
      description: 'one file',
      tags: { team: 'vision', commit: '0123456789abcdef0123456789abcdef01234567', release: '1.4.0' },
    });
    expect(deps.logger.lines.some((line) => /^Uploaded 300\.0 kB of 300\.0 kB \(100%\)/.test(line))).toBe(
      true,
    );
  });

  test('a folder model: every file not ignored under LocalUpload/<hash>/<folder>/, the first one marked', async () => {
    const folder = files.write(
      {
        '.amlignore': '*.log\n',
        'model.onnx': 'weights',
        'labels.txt': 'cat\n',
        'sub/vocab.txt': 'v',
        'train.log': 'noise',
      },
      'folder-model',
    );
    const model = await registerModel(
      optionsFor(sandbox, folder, 'folder-model'),
      depsFor(secretCredential(sandbox)),
    );
    expect(model).toMatchObject({ version: '1', created: true, fileCount: 4 });
    const prefix = `LocalUpload/${model.hash}/folder-model/`;
    expect((await blobNames(sandbox)).filter((name) => name.startsWith(prefix))).toEqual(
      ['.amlignore', 'labels.txt', 'model.onnx', 'sub/vocab.txt'].map((name) => prefix + name),
    );
    const mark = await sandbox.containerClient().getBlobClient(`${prefix}.amlignore`).getProperties();
    expect(mark.metadata).toEqual({ upload_status: 'completed', name: 'folder-model', version: '1' });
    expect(model.uri.endsWith(`/paths/LocalUpload/${model.hash}/folder-model`)).toBe(true);
  });

  test('the same content again uploads 0 bytes and returns the same version; a change makes a new version', async () => {
    const folder = files.write({ 'model.onnx': randomBytes(50_000), 'labels.txt': 'a\nb\n' }, 'again');
    const first = await registerModel(
      optionsFor(sandbox, folder, 'again'),
      depsFor(secretCredential(sandbox)),
    );
    const before = sandbox.counters();
    const blobsBefore = await blobNames(sandbox);

    const deps = depsFor(secretCredential(sandbox));
    const second = await registerModel(optionsFor(sandbox, folder, 'again'), deps);
    expect(second).toMatchObject({
      version: first.version,
      created: false,
      uploadedBytes: 0,
      hash: first.hash,
      uri: first.uri,
    });
    expect(sandbox.counters().versionPuts).toBe(before.versionPuts);
    expect(await blobNames(sandbox)).toEqual(blobsBefore);
    expect(deps.logger.lines).toContain(
      `Version ${first.version} of 'again' already holds this content: registering nothing new.`,
    );

    files.write({ 'labels.txt': 'a\nb\nc\n' }, 'again');
    const third = await registerModel(
      optionsFor(sandbox, folder, 'again'),
      depsFor(secretCredential(sandbox)),
    );
    expect(third).toMatchObject({ version: String(Number(first.version) + 1), created: true });
    expect(third.hash).not.toBe(first.hash);
    expect(third.uploadedBytes).toBeGreaterThan(0);
  });

  test('content already uploaded under another name is not uploaded again, but gets its own version', async () => {
    const folder = files.write({ 'w.bin': randomBytes(10_000) }, 'shared');
    await registerModel(optionsFor(sandbox, folder, 'shared-a'), depsFor(secretCredential(sandbox)));
    const other = await registerModel(
      optionsFor(sandbox, folder, 'shared-b'),
      depsFor(secretCredential(sandbox)),
    );
    expect(other).toMatchObject({ name: 'shared-b', version: '1', created: true, uploadedBytes: 0 });
    const mark = await sandbox
      .containerClient()
      .getBlobClient(`LocalUpload/${other.hash}/shared/w.bin`)
      .getProperties();
    expect(mark.metadata).toMatchObject({ name: 'shared-b', version: '1' });
  });

  test('an interrupted upload (blob without the mark) is uploaded again', async () => {
    const folder = files.write({ 'model.onnx': randomBytes(2_000) }, 'partial');
    const scanHash = createHash('md5')
      .update(CONTENT_HASH_SEED)
      .update('model.onnx')
      .update(readFileSync(join(folder, 'model.onnx')))
      .digest('hex');
    await sandbox
      .containerClient()
      .getBlockBlobClient(`LocalUpload/${scanHash}/partial/model.onnx`)
      .uploadData(Buffer.from('torn'));
    const deps = depsFor(secretCredential(sandbox));
    const model = await registerModel(optionsFor(sandbox, folder, 'partial'), deps);
    expect(model).toMatchObject({ hash: scanHash, uploadedBytes: 2_000 });
    expect(deps.logger.lines).toContain(
      'An earlier upload of this content did not finish: uploading it again.',
    );
    const blob = await sandbox
      .containerClient()
      .getBlobClient(`LocalUpload/${scanHash}/partial/model.onnx`)
      .downloadToBuffer();
    expect(blob.equals(readFileSync(join(folder, 'model.onnx')))).toBe(true);
  });

  test('content an older SDK uploaded to az-ml-artifacts/ is registered where it is', async () => {
    const path = join(files.write({ 'legacy/model.onnx': randomBytes(3000) }), 'legacy', 'model.onnx');
    const hash = createHash('md5').update(CONTENT_HASH_SEED).update(readFileSync(path)).digest('hex');
    await sandbox
      .containerClient()
      .getBlockBlobClient(`az-ml-artifacts/${hash}/model.onnx`)
      .uploadData(readFileSync(path), {
        metadata: { upload_status: 'completed', name: 'older', version: '9' },
      });
    const model = await registerModel(
      optionsFor(sandbox, path, 'legacy'),
      depsFor(secretCredential(sandbox)),
    );
    expect(model).toMatchObject({ version: '1', created: true, uploadedBytes: 0 });
    expect(model.uri).toMatch(new RegExp(`/paths/az-ml-artifacts/${hash}/model\\.onnx$`));
    expect((await blobNames(sandbox)).some((name) => name.startsWith(`LocalUpload/${hash}/`))).toBe(false);
  });

  test('an explicit version is used, kept on re-runs, and refused for other content', async () => {
    const folder = files.write({ 'm.bin': 'v1' }, 'explicit');
    const options = { ...optionsFor(sandbox, folder, 'explicit'), modelVersion: '1.4.0' };
    expect(await registerModel(options, depsFor(secretCredential(sandbox)))).toMatchObject({
      version: '1.4.0',
      created: true,
    });
    expect(await registerModel(options, depsFor(secretCredential(sandbox)))).toMatchObject({
      version: '1.4.0',
      created: false,
      uploadedBytes: 0,
    });
    files.write({ 'm.bin': 'v2' }, 'explicit');
    await expect(registerModel(options, depsFor(secretCredential(sandbox)))).rejects.toThrow(
      /Version '1\.4\.0' of model 'explicit' already exists with other content .*Give another model-version, or leave it empty/,
    );
  });

  test('the SAS is masked and never logged', async () => {
    const folder = files.write({ 'm.bin': randomBytes(1000) }, 'masked');
    const deps = depsFor(secretCredential(sandbox));
    await registerModel(optionsFor(sandbox, folder, 'masked'), deps);
    const sas = deps.masked.find((secret) => secret.includes('sig='));
    expect(sas).toBeDefined();
    const signature = new URLSearchParams(sas!).get('sig')!;
    expect(deps.masked).toContain(signature);
    const log = deps.logger.lines.join('\n');
    expect(log).not.toContain(signature);
    expect(log).not.toContain(encodeURIComponent(signature));
  });
});

describe('concurrent registrations', () => {
  test.each([409, 400] as const)(
    'two registrations racing for one version number get two versions (conflict status %d)',
    async (status) => {
      sandbox.model.assetPathConflictStatus = status;
      const name = `race-${status}`;
      const one = files.write({ 'a.bin': randomBytes(5000) }, `${name}-one`);
      const two = files.write({ 'b.bin': randomBytes(7000) }, `${name}-two`);
      // Both read nextVersion before either registers: they ask for the same number.
      sandbox.faults.barrier({ method: 'GET', path: `**/models/${name}`, parties: 2 });
      const before = sandbox.counters().conflicts;
      const deps = [depsFor(secretCredential(sandbox)), depsFor(secretCredential(sandbox))];
      const results = await Promise.all([
        registerModel(optionsFor(sandbox, one, name), deps[0]!),
        registerModel(optionsFor(sandbox, two, name), deps[1]!),
      ]);
      sandbox.model.assetPathConflictStatus = 409;
      expect(results.map((r) => r.version).sort()).toEqual(['1', '2']);
      expect(results.every((r) => r.created)).toBe(true);
      expect(sandbox.counters().conflicts).toBe(before + 1);
      expect(
        deps
          .flatMap((d) => d.logger.lines)
          .some((line) => /Version 1 of 'race-\d+' was just taken/.test(line)),
      ).toBe(true);
      expect(Object.keys(sandbox.model.versionsOf(name)).sort()).toEqual(['1', '2']);
    },
  );
});

describe('retries', () => {
  test('429 is retried after its Retry-After', async () => {
    const folder = files.write({ 'm.bin': randomBytes(1000) }, 'throttled');
    sandbox.faults.add({
      fault: 'throttle',
      method: 'GET',
      path: '**/datastores',
      retryAfterSeconds: 1,
      times: 1,
    });
    sandbox.faults.add({
      fault: 'throttle',
      method: 'PUT',
      path: '**/models/throttled/versions/*',
      retryAfterSeconds: 1,
      times: 1,
    });
    const before = sandbox.counters().throttled;
    const started = Date.now();
    const model = await registerModel(
      optionsFor(sandbox, folder, 'throttled'),
      depsFor(secretCredential(sandbox)),
    );
    expect(model.created).toBe(true);
    expect(sandbox.counters().throttled - before).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });

  test('500, 503 and dropped connections are retried', async () => {
    const folder = files.write({ 'm.bin': randomBytes(1000) }, 'flaky');
    sandbox.faults.add({ fault: 'error', status: 503, method: 'POST', path: '**/listSecrets', times: 1 });
    sandbox.faults.add({
      fault: 'error',
      status: 500,
      method: 'PUT',
      path: '**/models/flaky/versions/*',
      times: 2,
    });
    sandbox.faults.add({ fault: 'reset', method: 'GET', path: '**/models/flaky', times: 1 });
    const before = sandbox.counters().faults;
    const model = await registerModel(
      optionsFor(sandbox, folder, 'flaky'),
      depsFor(secretCredential(sandbox)),
    );
    expect(model).toMatchObject({ version: '1', created: true });
    expect(sandbox.counters().faults - before).toBe(4);
  });

  test('5xx that does not stop is reported with what to do', async () => {
    const folder = files.write({ 'm.bin': 'x' }, 'broken');
    const id = sandbox.faults.add({
      fault: 'error',
      status: 500,
      method: 'PUT',
      path: '**/models/broken/versions/*',
    });
    try {
      await expect(
        registerModel(optionsFor(sandbox, folder, 'broken'), depsFor(secretCredential(sandbox))),
      ).rejects.toThrow(
        /Azure ML failed to register the model version with 500 InternalServerError after several retries .* re-run the job/,
      );
    } finally {
      sandbox.faults.remove(id);
    }
  });
});

describe('sign-in and datastore access', () => {
  test('GitHub OIDC: the real ClientAssertionCredential with a federated credential', async () => {
    const folder = files.write({ 'm.bin': randomBytes(100) }, 'oidc');
    const model = await registerModel(
      optionsFor(sandbox, folder, 'oidc'),
      depsFor(assertionCredential(sandbox)),
    );
    expect(model.created).toBe(true);
  });

  test('GitHub OIDC through createAzureCredential, asking for a fresh ID token per sign-in', async () => {
    const folder = files.write({ 'm.bin': randomBytes(100) }, 'oidc-factory');
    const audiences: string[] = [];
    const credential = createAzureCredential({
      clientId: sandbox.clientId,
      tenantId: sandbox.tenantId,
      authorityHost: sandbox.authorityHost,
      disableInstanceDiscovery: true,
      getIdToken: async (audience) => {
        audiences.push(audience);
        return sandbox.githubIdToken({ audience });
      },
    });
    expect(credential.kind).toBe('github-oidc');
    await registerModel(optionsFor(sandbox, folder, 'oidc-factory'), depsFor(credential));
    expect(audiences.length).toBeGreaterThan(0);
    expect(new Set(audiences)).toEqual(new Set(['api://AzureADTokenExchange']));
  });

  test('without listSecrets permission, the upload falls back to the Entra identity', async () => {
    const folder = files.write({ 'm.bin': randomBytes(100) }, 'no-secrets');
    sandbox.deny('workspaces/datastores/listsecrets/action');
    try {
      const deps = depsFor(secretCredential(sandbox));
      const model = await registerModel(optionsFor(sandbox, folder, 'no-secrets'), deps);
      expect(model).toMatchObject({ created: true, access: 'entra' });
      expect(
        deps.logger.lines.some((line) =>
          /was refused \(403 AuthorizationFailed\); uploading with the Azure identity/.test(line),
        ),
      ).toBe(true);
    } finally {
      sandbox.allow('workspaces/datastores/listsecrets/action');
    }
  });

  test('a datastore without credentials (key access disabled) is written with an Entra token', async () => {
    const identityOnly = await startTestAml({
      datastores: [{ name: 'workspaceblobstore', credentialsType: 'None', isDefault: true }],
    });
    try {
      const folder = files.write({ 'm.bin': randomBytes(100) }, 'entra');
      const model = await registerModel(
        optionsFor(identityOnly, folder, 'entra'),
        depsFor(secretCredential(identityOnly)),
      );
      expect(model).toMatchObject({ created: true, access: 'entra' });
      expect(identityOnly.counters().listSecrets).toBe(0);
      expect(await blobNames(identityOnly)).toEqual([`LocalUpload/${model.hash}/entra/m.bin`]);
    } finally {
      await identityOnly.stop();
    }
  });
});

describe('the register-model stage', () => {
  test('runStage registers the example model from inputs and writes outputs and a summary', async () => {
    const inputs = parseInputs(
      'register-model',
      (name) =>
        ({
          ...sandbox.inputs(),
          'model-path': EXAMPLE,
          'model-name': 'example',
          'model-tags': 'team=vision\nstage=demo',
          release: 'v2.0.0',
        })[name],
    );
    const logger = memoryLogger();
    const result = await runStage('register-model', inputs, {
      logger,
      run: {
        commit: 'abc123',
        ref: 'refs/tags/v2.0.0',
        repository: 'example/models',
        runUrl: 'https://github.com/example/models/actions/runs/1',
      },
      mask: () => undefined,
      workDir: files.root,
    });
    expect(Object.keys(result.outputs).sort()).toEqual([
      'model-hash',
      'model-id',
      'model-name',
      'model-uri',
      'model-version',
    ]);
    expect(result.outputs).toMatchObject({ 'model-name': 'example', 'model-version': '1' });
    expect(result.outputs['model-uri']).toMatch(
      /^azureml:\/\/subscriptions\/.*\/paths\/LocalUpload\/[0-9a-f]{32}\/example-model$/,
    );
    expect(result.summary).toContain('`example` version `1` (new)');
    const version = sandbox.model.versionResourceOf('example', '1') as {
      properties: { tags: Record<string, string> };
    };
    expect(version.properties.tags).toEqual({
      team: 'vision',
      stage: 'demo',
      commit: 'abc123',
      release: '2.0.0',
      repository: 'example/models',
      run_url: 'https://github.com/example/models/actions/runs/1',
    });
    expect(logger.lines.join('\n')).not.toContain(sandbox.clientSecret);
  });

  test('the CLI command registers with flags (the secret from the environment) and prints the outputs as JSON', async () => {
    const { 'client-secret': secret, ...inputs } = sandbox.inputs();
    const flags = Object.entries({ ...inputs, 'model-path': EXAMPLE, 'model-name': 'cli-example' }).flatMap(
      ([name, value]) => [`--${name}`, value],
    );
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['register-model', ...flags], {
      log: (line) => out.push(line),
      error: (line) => err.push(line),
      env: { ML_TO_IOT_EDGE_CLIENT_SECRET: secret },
    });
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ 'model-name': 'cli-example', 'model-version': '1' });
    expect(err.join('\n')).toContain('== Content hash');
    expect(err.join('\n')).not.toContain(secret);
  });
});
