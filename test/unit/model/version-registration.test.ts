// Choosing and registering the model version, against a fake workspace: races for a number, explicit
// versions that already exist, and when to give up.
import { describe, expect, test } from '@jest/globals';
import { ArmError } from '../../../src/azure/arm-error.js';
import { memoryLogger } from '../../../src/logger.js';
import type {
  AmlWorkspace,
  ModelVersionBody,
  ModelVersionResource,
} from '../../../src/model/aml-workspace.js';
import { RegistrationError } from '../../../src/model/registration-errors.js';
import {
  isVersionConflict,
  MAX_VERSION_ATTEMPTS,
  registerExplicitVersion,
  registerNextVersion,
  versionHoldingContent,
  type VersionContext,
} from '../../../src/model/version-registration.js';

const body = (uri: string): ModelVersionBody => ({
  properties: {
    modelUri: uri,
    modelType: 'custom_model',
    tags: {},
    properties: {},
    isAnonymous: false,
    isArchived: false,
  },
});
const resource = (version: string, uri: string, isArchived = false): ModelVersionResource => ({
  id: `/models/m/versions/${version}`,
  name: version,
  properties: { modelUri: uri, isArchived },
});
const conflict = () => new ArmError(409, 'UserError', 'Asset paths cannot be updated.', 'PUT', '/v');

/** A workspace whose versions are `stored`; `beforePut` can make a concurrent registration win first. */
function fakeWorkspace(stored: Map<string, string>, beforePut: (version: string) => void = () => undefined) {
  const puts: string[] = [];
  const workspace = {
    async getVersion(_name: string, version: string) {
      const uri = stored.get(version);
      return uri ? resource(version, uri) : undefined;
    },
    async nextVersion() {
      return String(Math.max(0, ...[...stored.keys()].map(Number).filter(Number.isFinite)) + 1);
    },
    async putVersion(_name: string, version: string, request: ModelVersionBody) {
      puts.push(version);
      beforePut(version);
      const existing = stored.get(version);
      if (existing && existing !== request.properties.modelUri) throw conflict();
      stored.set(version, request.properties.modelUri);
      return { created: !existing, resource: resource(version, request.properties.modelUri) };
    },
  };
  return { workspace: workspace as unknown as AmlWorkspace, puts };
}

function contextOf(workspace: AmlWorkspace): VersionContext & { logger: ReturnType<typeof memoryLogger> } {
  return { workspace, modelName: 'm', logger: memoryLogger(), explain: (error) => error as Error };
}

describe('version registration', () => {
  test('a version lost to a concurrent registration is retried with the next one', async () => {
    const stored = new Map([['1', 'uri-a']]);
    let raced = false;
    const { workspace, puts } = fakeWorkspace(stored, (version) => {
      if (!raced && version === '2') {
        raced = true;
        stored.set('2', 'uri-other');
      }
    });
    const context = contextOf(workspace);
    const outcome = await registerNextVersion(context, '2', body('uri-b'));
    expect(outcome).toMatchObject({ created: true, resource: { name: '3' } });
    expect(puts).toEqual(['2', '3']);
    expect(context.logger.lines).toEqual([
      "Version 2 of 'm' was just taken by another registration; taking the next one.",
    ]);
  });

  test(`gives up after ${MAX_VERSION_ATTEMPTS} lost races`, async () => {
    const stored = new Map<string, string>();
    const { workspace, puts } = fakeWorkspace(stored, (version) => stored.set(version, 'uri-other'));
    await expect(registerNextVersion(contextOf(workspace), '1', body('uri-b'))).rejects.toThrow(
      /5 version numbers in a row were taken by concurrent registrations; re-run, or give model-version explicitly/,
    );
    expect(puts).toHaveLength(MAX_VERSION_ATTEMPTS);
  });

  test('an explicit version a concurrent job registered with the same content is ours too', async () => {
    const stored = new Map<string, string>();
    const { workspace } = fakeWorkspace(stored, (version) => stored.set(version, 'uri-b'));
    const outcome = await registerExplicitVersion(contextOf(workspace), '1.4.0', body('uri-b'));
    expect(outcome).toMatchObject({ created: false, resource: { name: '1.4.0' } });
  });

  test('an explicit version holding other content is refused, naming model-version', async () => {
    const { workspace } = fakeWorkspace(new Map([['1.4.0', 'uri-a']]));
    const error = await registerExplicitVersion(contextOf(workspace), '1.4.0', body('uri-b')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RegistrationError);
    expect((error as RegistrationError).input).toBe('model-version');
  });

  test('the version the upload mark names is reused only while it holds this content and is not archived', async () => {
    const { workspace } = fakeWorkspace(new Map([['4', 'uri-b']]));
    const context = contextOf(workspace);
    const mark = { state: 'confirmed' as const, origin: 'LocalUpload', name: 'm', version: '4' };
    expect((await versionHoldingContent(context, mark, 'uri-b'))?.name).toBe('4');
    expect(await versionHoldingContent(context, mark, 'uri-c')).toBeUndefined();
    expect(await versionHoldingContent(context, { ...mark, name: 'other' }, 'uri-b')).toBeUndefined();
    expect(await versionHoldingContent(context, { state: 'partial' }, 'uri-b')).toBeUndefined();
    const archived = {
      ...contextOf(workspace),
      workspace: { getVersion: async () => resource('4', 'uri-b', true) } as unknown as AmlWorkspace,
    };
    expect(await versionHoldingContent(archived, mark, 'uri-b')).toBeUndefined();
  });

  test.each([
    [new ArmError(409, 'Conflict', 'x', 'PUT', '/'), true],
    [new ArmError(400, 'UserError', 'Asset paths cannot be updated.', 'PUT', '/'), true],
    [new ArmError(400, 'UserError', 'bad body', 'PUT', '/'), false],
    [new Error('409'), false],
  ])('%s is a version conflict: %s', (error, expected) => {
    expect(isVersionConflict(error)).toBe(expected);
  });
});
