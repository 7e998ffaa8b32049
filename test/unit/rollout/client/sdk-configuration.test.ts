import { describe, expect, test } from '@jest/globals';
import type { HubDeployment, NewDeployment } from '../../../../src/rollout/hub-client.js';
import {
  isCreatedAs,
  isUpdatedAs,
  newConfiguration,
  toHubDeployment,
  updatedConfiguration,
} from '../../../../src/rollout/sdk-configuration.js';

const content = {
  modulesContent: { $edgeAgent: { 'properties.desired': { schemaVersion: '1.1', a: 1, b: 2 } } },
};
const wanted: NewDeployment = {
  id: 'demo-1_0_0',
  labels: { app: 'demo', ring: 'canary' },
  content,
  targetCondition: "tags.ring='canary'",
  priority: 11,
  metrics: { unhealthy: "SELECT deviceId FROM devices.modules WHERE moduleId='m'" },
};
const stored: HubDeployment = {
  ...wanted,
  schemaVersion: '1.0',
  createdTimeUtc: '2026-01-01T00:00:00Z',
  etag: 'MQ==',
  metrics: { queries: { ...wanted.metrics }, results: {} },
};

describe('what is sent', () => {
  test('a create sets schemaVersion, content, labels, priority and metric queries', () => {
    expect(newConfiguration(wanted, '1.0')).toEqual({
      id: 'demo-1_0_0',
      schemaVersion: '1.0',
      labels: { app: 'demo', ring: 'canary' },
      content,
      targetCondition: "tags.ring='canary'",
      priority: 11,
      metrics: { queries: wanted.metrics },
    });
  });

  test('an update sends the content exactly as read, with the etag, and only the asked fields changed', () => {
    const body = updatedConfiguration(stored, { targetCondition: "tags.ring='canary' OR tags.ring='pilot'" });
    expect(body.content).toBe(stored.content);
    expect(body).toMatchObject({
      etag: 'MQ==',
      targetCondition: "tags.ring='canary' OR tags.ring='pilot'",
      priority: 11,
      labels: { app: 'demo', ring: 'canary' },
      metrics: { queries: wanted.metrics },
    });
  });

  test('an update of a deployment read without its content is refused before sending', () => {
    expect(() => updatedConfiguration({ ...stored, content: undefined }, { priority: 12 })).toThrow(
      /getDeployment first/,
    );
  });
});

test('what comes back needs an id and an etag', () => {
  expect(toHubDeployment({ id: 'x', schemaVersion: '1.0', etag: 'e' })).toMatchObject({
    id: 'x',
    labels: {},
    targetCondition: '',
    priority: 0,
    etag: 'e',
  });
  expect(() => toHubDeployment({ id: 'x', schemaVersion: '1.0' })).toThrow(/etag/);
});

describe('is the hub already where a write wanted it', () => {
  test('a create matches whatever order the hub returns keys in', () => {
    const reordered = {
      modulesContent: { $edgeAgent: { 'properties.desired': { b: 2, a: 1, schemaVersion: '1.1' } } },
    };
    expect(isCreatedAs({ ...stored, content: reordered }, wanted)).toBe(true);
    expect(isCreatedAs({ ...stored, labels: { app: 'demo', ring: 'pilot' } }, wanted)).toBe(false);
    expect(isCreatedAs({ ...stored, priority: 12 }, wanted)).toBe(false);
  });

  test('an update matches when the asked fields changed and the content did not', () => {
    const update = { targetCondition: 'tags.x=1', labels: { app: 'demo', ring: 'pilot' } };
    const after = { ...stored, ...update, etag: 'Mg==' };
    expect(isUpdatedAs(after, stored, update)).toBe(true);
    expect(isUpdatedAs(stored, stored, update)).toBe(false);
    expect(isUpdatedAs({ ...after, priority: 99 }, stored, update)).toBe(false);
  });
});
