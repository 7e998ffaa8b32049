// Configuration CRUD with the service's rules and error codes (reference §1.1–1.4, §1.9, §1.11).
import { describe, expect, test } from '@jest/globals';
import { MAX_CONFIGURATIONS } from '../../../../src/sandbox/configurations.js';
import { deployment, edgeContent, errorOf, newHub } from './helpers.js';

const IMAGE = 'myacr.azurecr.io/app@sha256:1111';

describe('creating a configuration', () => {
  test('stores it with an etag, timestamps, the schemaVersion sent and zeroed metrics', () => {
    const { hub, clock } = newHub();
    const created = hub.createConfiguration(
      'app-1-0-0',
      deployment(IMAGE, {
        schemaVersion: '2.0',
        metrics: { queries: { running: "select deviceId from devices where tags.ring = 'canary'" } },
      }),
    );
    expect(created).toMatchObject({
      id: 'app-1-0-0',
      schemaVersion: '2.0',
      labels: { app: 'demo' },
      targetCondition: "tags.ring='canary'",
      priority: 10,
      createdTimeUtc: new Date(clock.now()).toISOString(),
      lastUpdatedTimeUtc: new Date(clock.now()).toISOString(),
      metrics: { results: { running: 0 } },
    });
    expect(created.etag).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(created.content).toEqual(edgeContent(IMAGE));
    expect(created.systemMetrics).toEqual({
      queries: {
        targetedCount:
          "select deviceId from devices where capabilities.iotEdge = true and (tags.ring='canary')",
        appliedCount:
          "select deviceId from devices.modules where moduleId = '$edgeAgent' and configurations.[[app-1-0-0]].status = 'Applied'",
        reportedSuccessfulCount:
          "select deviceId from devices.modules where moduleId = '$edgeAgent' and configurations.[[app-1-0-0]].status = 'Applied' and properties.desired.$version = properties.reported.lastDesiredVersion and properties.reported.lastDesiredStatus.code = 200",
        reportedFailedCount:
          "select deviceId from devices.modules where moduleId = '$edgeAgent' and configurations.[[app-1-0-0]].status = 'Applied' and properties.desired.$version = properties.reported.lastDesiredVersion and properties.reported.lastDesiredStatus.code != 200",
      },
      results: { targetedCount: 0, appliedCount: 0, reportedSuccessfulCount: 0, reportedFailedCount: 0 },
    });
  });

  test('defaults schemaVersion to 1.0 and priority to 0; an empty target condition gets a never-matching count query', () => {
    const { hub } = newHub();
    const { schemaVersion, priority, labels, ...rest } = deployment(IMAGE, { targetCondition: '' });
    void schemaVersion;
    void priority;
    void labels;
    const created = hub.createConfiguration('empty-target', rest);
    expect(created).toMatchObject({ schemaVersion: '1.0', priority: 0, labels: {}, targetCondition: '' });
    expect(created.systemMetrics.queries.targetedCount).toBe(
      "select deviceId from devices where capabilities.iotEdge = true and deviceId = ''",
    );
  });

  test.each([
    ['app-1.0.0', /lower-case letters/],
    ['a'.repeat(129), /128/],
    ['App-1.0', /lower-case letters/],
    ['app 1', /lower-case letters/],
    ['app/1', /lower-case letters/],
    ['', /empty/],
  ])('rejects the id %j with 400 ArgumentInvalid naming the rule', (id, rule) => {
    const { hub } = newHub();
    const error = errorOf(() => hub.createConfiguration(id, deployment(IMAGE)));
    expect(error).toMatchObject({ status: 400, code: 'ArgumentInvalid' });
    expect(error.message).toMatch(rule);
  });

  test("accepts every character the id rules allow: a-z 0-9 -:+%_#*?!(),=@;'", () => {
    const { hub } = newHub();
    const id = "a-z:0+9%_#*?!(),=@;'" + 'x'.repeat(108);
    expect(id).toHaveLength(128);
    expect(hub.createConfiguration(id, deployment(IMAGE)).id).toBe(id);
  });

  test('a duplicate id is 409 ConfigurationAlreadyExists', () => {
    const { hub } = newHub();
    hub.createConfiguration('app-1', deployment(IMAGE));
    expect(errorOf(() => hub.createConfiguration('app-1', deployment(IMAGE)))).toMatchObject({
      status: 409,
      code: 'ConfigurationAlreadyExists',
    });
  });

  test('a body id that differs from the path is 400', () => {
    const { hub } = newHub();
    expect(errorOf(() => hub.createConfiguration('app-1', deployment(IMAGE, { id: 'app-2' })))).toMatchObject(
      { status: 400 },
    );
  });

  test.each([
    [{ 'bad key': 'x' }, /label key 'bad key'/],
    [{ $reserved: 'x' }, /reserved/],
    [{ app: 'x'.repeat(129) }, /128/],
    [{ url: 'https://github.com/run/1' }, /ASCII letters/],
    [{ count: 3 }, /must be a string/],
  ])('rejects the labels %j with 400', (labels, rule) => {
    const { hub } = newHub();
    const error = errorOf(() => hub.createConfiguration('app-1', deployment(IMAGE, { labels })));
    expect(error).toMatchObject({ status: 400, code: 'ArgumentInvalid' });
    expect(error.message).toMatch(rule);
  });

  test("accepts labels using every allowed character: A-Z a-z 0-9 -:.+%_#*?!(),=@;'", () => {
    const { hub } = newHub();
    const labels = { "Key-:.+%_#*?!(),=@;'": "Value-:.+%_#*?!(),=@;'", commit: '' };
    expect(hub.createConfiguration('app-1', deployment(IMAGE, { labels })).labels).toEqual(labels);
  });

  test.each([[-1], [1.5], ['10'], [true]])('rejects the priority %j with 400', (priority) => {
    const { hub } = newHub();
    const error = errorOf(() => hub.createConfiguration('app-1', deployment(IMAGE, { priority })));
    expect(error).toMatchObject({ status: 400, code: 'ArgumentInvalid' });
    expect(error.message).toMatch(/priority must be a non-negative integer/);
  });

  test.each([
    ['tags.ring="canary"', /single quotes/],
    ["properties.desired.x = 'y'", /deviceId, tags/],
    ["tags.ring = 'canary' and", /./],
  ])(
    'rejects the target condition %j with 400 InvalidConfigurationTargetCondition and the reason',
    (targetCondition, reason) => {
      const { hub } = newHub();
      const error = errorOf(() => hub.createConfiguration('app-1', deployment(IMAGE, { targetCondition })));
      expect(error).toMatchObject({ status: 400, code: 'InvalidConfigurationTargetCondition' });
      expect(error.message).toMatch(reason);
    },
  );

  test('rejects a custom metric with a bad query or a bad name, and keeps good ones', () => {
    const { hub } = newHub();
    const bad = errorOf(() =>
      hub.createConfiguration('app-1', deployment(IMAGE, { metrics: { queries: { m: 'select nonsense' } } })),
    );
    expect(bad).toMatchObject({ status: 400 });
    expect(bad.message).toMatch(/custom metric 'm'/);
    const badName = errorOf(() =>
      hub.createConfiguration(
        'app-1',
        deployment(IMAGE, { metrics: { queries: { 'a b': 'select deviceId from devices' } } }),
      ),
    );
    expect(badName).toMatchObject({ status: 400 });
  });

  describe('content', () => {
    const agentOnly = () => {
      const content = edgeContent(IMAGE);
      delete (content.modulesContent as Record<string, unknown>).$edgeHub;
      return content;
    };

    test.each([
      ['no content', undefined, /content must be an object/],
      ['an empty content', {}, /exactly one non-empty part/],
      ['two parts', { ...edgeContent(IMAGE), deviceContent: { 'properties.desired.x': 1 } }, /exactly one/],
      ['a deployment without $edgeHub', agentOnly(), /\$edgeHub/],
      [
        'a bad module name',
        {
          modulesContent: {
            ...(edgeContent(IMAGE).modulesContent as object),
            'bad.name': { 'properties.desired': {} },
          },
        },
        /module name 'bad.name'/,
      ],
      [
        'a layered deployment with system modules',
        { modulesContent: { $edgeAgent: { 'properties.desired.systemModules.edgeHub': {} } } },
        /must not contain the system modules/,
      ],
      [
        'a mix of whole and layered system modules',
        {
          modulesContent: {
            ...(edgeContent(IMAGE).modulesContent as object),
            extra: { 'properties.desired.setting': 1 },
          },
        },
        /must not contain the system modules/,
      ],
      [
        'an unknown key in a module entry',
        { modulesContent: { $edgeAgent: { desired: {} } } },
        /only 'properties.desired'/,
      ],
    ])('rejects %s with 400', (_name, content, reason) => {
      const { hub } = newHub();
      const error = errorOf(() => hub.createConfiguration('app-1', deployment(IMAGE, { content })));
      expect(error).toMatchObject({ status: 400 });
      expect(error.message).toMatch(reason);
    });

    test('rejects more than 50 modules', () => {
      const { hub } = newHub();
      const content = edgeContent(IMAGE) as {
        modulesContent: Record<string, Record<string, Record<string, unknown>>>;
      };
      const modules = content.modulesContent.$edgeAgent!['properties.desired']!.modules as Record<
        string,
        unknown
      >;
      for (let i = 0; i < 50; i++) modules[`m${i}`] = { type: 'docker', settings: { image: IMAGE } };
      expect(errorOf(() => hub.createConfiguration('app-1', deployment(IMAGE, { content })))).toMatchObject({
        status: 400,
        message: expect.stringMatching(/at most 50 modules/),
      });
    });

    test('accepts a layered deployment (shape-based) and device configurations', () => {
      const { hub } = newHub();
      const layered = {
        modulesContent: {
          $edgeAgent: {
            'properties.desired.modules.sidecar': { type: 'docker', settings: { image: 'sidecar:1' } },
          },
          sidecar: { 'properties.desired': { level: 1 } },
        },
      };
      expect(hub.createConfiguration('layer', deployment(IMAGE, { content: layered })).content).toEqual(
        layered,
      );
      const device = hub.createConfiguration('adm', {
        content: { deviceContent: { 'properties.desired.x': 1 } },
      });
      expect(device.systemMetrics.queries).toEqual({});
    });
  });

  test(`the ${MAX_CONFIGURATIONS + 1}st configuration is 403 ConfigurationCountLimitExceeded`, () => {
    const { hub } = newHub();
    for (let i = 0; i < MAX_CONFIGURATIONS; i++) hub.createConfiguration(`app-${i}`, deployment(IMAGE));
    expect(errorOf(() => hub.createConfiguration('one-too-many', deployment(IMAGE)))).toMatchObject({
      status: 403,
      code: 'ConfigurationCountLimitExceeded',
    });
    hub.deleteConfiguration('app-0');
    expect(hub.createConfiguration('one-too-many', deployment(IMAGE)).id).toBe('one-too-many');
  });
});

describe('updating a configuration', () => {
  function created() {
    const test = newHub();
    const configuration = test.hub.createConfiguration('app-1', deployment(IMAGE));
    return { ...test, configuration };
  }

  test('changes targetCondition, priority, labels and metrics, with a new etag and lastUpdatedTimeUtc', async () => {
    const { hub, clock, configuration } = created();
    await clock.advance(1000);
    const updated = hub.updateConfiguration(
      'app-1',
      {
        ...configuration,
        targetCondition: "tags.ring='canary' or tags.ring='pilot'",
        priority: 20,
        labels: { app: 'demo', ring: 'pilot' },
        metrics: { queries: { all: 'select deviceId from devices' } },
      },
      configuration.etag,
    );
    expect(updated).toMatchObject({
      targetCondition: "tags.ring='canary' or tags.ring='pilot'",
      priority: 20,
      labels: { ring: 'pilot' },
      metrics: { queries: { all: 'select deviceId from devices' }, results: { all: 0 } },
      createdTimeUtc: configuration.createdTimeUtc,
      lastUpdatedTimeUtc: new Date(clock.now()).toISOString(),
    });
    expect(updated.etag).not.toBe(configuration.etag);
    expect(updated.systemMetrics.queries.targetedCount).toContain(
      "(tags.ring='canary' or tags.ring='pilot')",
    );
    expect(hub.getConfiguration('app-1')).toEqual(updated);
  });

  test('accepts a quoted etag and *', () => {
    const { hub, configuration } = created();
    const first = hub.updateConfiguration(
      'app-1',
      { ...configuration, priority: 11 },
      `"${configuration.etag}"`,
    );
    expect(hub.updateConfiguration('app-1', { ...first, priority: 12 }, '*').priority).toBe(12);
  });

  test('a stale etag is 412 PreconditionFailed', () => {
    const { hub, configuration } = created();
    hub.updateConfiguration('app-1', { ...configuration, priority: 11 }, configuration.etag);
    expect(
      errorOf(() => hub.updateConfiguration('app-1', { ...configuration, priority: 12 }, configuration.etag)),
    ).toMatchObject({
      status: 412,
      code: 'PreconditionFailed',
    });
  });

  test('changed content is 400: content is immutable', () => {
    const { hub, configuration } = created();
    const error = errorOf(() =>
      hub.updateConfiguration(
        'app-1',
        { ...configuration, content: edgeContent('other:2') },
        configuration.etag,
      ),
    );
    expect(error).toMatchObject({ status: 400 });
    expect(error.message).toMatch(/content .* cannot be updated/);
  });

  test('a different id in the body is 400; a missing configuration is 404', () => {
    const { hub, configuration } = created();
    expect(
      errorOf(() => hub.updateConfiguration('app-1', { ...configuration, id: 'app-2' }, '*')),
    ).toMatchObject({ status: 400 });
    expect(
      errorOf(() => hub.updateConfiguration('nope', { ...configuration, id: 'nope' }, '*')),
    ).toMatchObject({
      status: 404,
      code: 'ConfigurationNotFound',
    });
  });

  test('the update rules apply to the new values too', () => {
    const { hub, configuration } = created();
    expect(
      errorOf(() => hub.updateConfiguration('app-1', { ...configuration, priority: -2 }, '*')),
    ).toMatchObject({ status: 400 });
    expect(
      errorOf(() =>
        hub.updateConfiguration('app-1', { ...configuration, targetCondition: 'tags.ring="x"' }, '*'),
      ),
    ).toMatchObject({ status: 400, code: 'InvalidConfigurationTargetCondition' });
  });
});

describe('reading, listing and deleting', () => {
  test('get and list answer copies the caller cannot use to change the hub', () => {
    const { hub } = newHub();
    hub.createConfiguration('app-1', deployment(IMAGE));
    const got = hub.getConfiguration('app-1');
    got.priority = 99;
    (got.content.modulesContent!.$edgeAgent as Record<string, unknown>)['properties.desired'] = {};
    hub.listConfigurations()[0]!.labels.app = 'changed';
    expect(hub.getConfiguration('app-1')).toMatchObject({
      priority: 10,
      labels: { app: 'demo' },
      content: edgeContent(IMAGE),
    });
  });

  test('list keeps creation order and honours top', () => {
    const { hub } = newHub();
    for (const id of ['c', 'a', 'b']) hub.createConfiguration(id, deployment(IMAGE));
    expect(hub.listConfigurations().map((c) => c.id)).toEqual(['c', 'a', 'b']);
    expect(hub.listConfigurations(2).map((c) => c.id)).toEqual(['c', 'a']);
    expect(hub.listConfigurations(1000)).toHaveLength(3);
    expect(errorOf(() => hub.listConfigurations(0))).toMatchObject({ status: 400 });
  });

  test('delete: 404 when missing, 412 on a stale etag, fine without If-Match or with the current etag', () => {
    const { hub } = newHub();
    const first = hub.createConfiguration('app-1', deployment(IMAGE));
    hub.updateConfiguration('app-1', { ...first, priority: 3 }, first.etag);
    expect(errorOf(() => hub.deleteConfiguration('app-1', first.etag))).toMatchObject({
      status: 412,
      code: 'PreconditionFailed',
    });
    hub.deleteConfiguration('app-1', `"${hub.getConfiguration('app-1').etag}"`);
    expect(errorOf(() => hub.getConfiguration('app-1'))).toMatchObject({
      status: 404,
      code: 'ConfigurationNotFound',
    });
    expect(errorOf(() => hub.deleteConfiguration('app-1'))).toMatchObject({ status: 404 });
    hub.createConfiguration('app-2', deployment(IMAGE));
    hub.deleteConfiguration('app-2');
    expect(hub.listConfigurations()).toEqual([]);
  });
});

describe('testQueries', () => {
  test('reports the errors of a target condition and custom metric queries without creating anything', () => {
    const { hub } = newHub();
    expect(
      hub.testQueries({
        targetCondition: "tags.ring='canary'",
        customMetricQueries: { ok: "select deviceId from devices.modules where moduleId = '$edgeAgent'" },
      }),
    ).toEqual({ targetConditionError: '', customMetricQueryErrors: {} });
    const result = hub.testQueries({
      targetCondition: 'tags.ring="canary"',
      customMetricQueries: { ok: 'select deviceId from devices', broken: 'select from' },
    });
    expect(result.targetConditionError).toMatch(/single quotes/);
    expect(Object.keys(result.customMetricQueryErrors)).toEqual(['broken']);
    expect(result.customMetricQueryErrors.broken).not.toBe('');
    expect(hub.listConfigurations()).toEqual([]);
    expect(hub.evaluations).toBe(0);
  });

  test('an empty target condition is fine', () => {
    const { hub } = newHub();
    expect(hub.testQueries({ targetCondition: '' }).targetConditionError).toBe('');
  });
});
