// startSandboxHub's options: fleets, credentials, and failures that must leave nothing behind.
import { describe, expect, test } from '@jest/globals';
import iothub from 'azure-iothub';
import { ManualClock } from '../../../src/sandbox/clock.js';
import { startTestHub } from '../../support/sandbox.js';

const { Registry } = iothub;

describe('startSandboxHub', () => {
  test('a ring spec with behaviour rules builds the fleet; a given policy name and key are used', async () => {
    const key = Buffer.alloc(32, 3).toString('base64');
    const hub = await startTestHub({
      devices: 'canary=2,fleet=4',
      behaviours: ['canary:crash-loop', { select: { ring: 'fleet', every: 2 }, behaviour: 'offline' }],
      keyName: 'rollout',
      key,
      clock: new ManualClock(),
    });
    try {
      expect(hub.connectionString).toBe(
        `HostName=${hub.hostName};SharedAccessKeyName=rollout;SharedAccessKey=${key}`,
      );
      expect(hub.model.deviceIds()).toEqual([
        'edge-canary-0001',
        'edge-canary-0002',
        'edge-fleet-0001',
        'edge-fleet-0002',
        'edge-fleet-0003',
        'edge-fleet-0004',
      ]);
      const twin = (await Registry.fromConnectionString(hub.connectionString).getTwin('edge-fleet-0002'))
        .responseBody;
      expect(twin.tags).toEqual({ ring: 'fleet' });
      expect(hub.counters()).toEqual({ writes: 0, queries: 0, reads: 0, throttled: 0, evaluations: 0 });
    } finally {
      await hub.stop();
    }
  });

  test('behaviour rules need a ring spec', async () => {
    await expect(
      startTestHub({ devices: [{ deviceId: 'd1' }], behaviours: ['all:offline'] }),
    ).rejects.toThrow(/behaviours apply to a ring spec/);
  });

  test('a bad ring spec fails before anything listens', async () => {
    await expect(startTestHub({ devices: 'canary=two' })).rejects.toThrow(
      /the device count must be a whole number/,
    );
  });

  test('a request log that cannot be written fails the start and frees the address', async () => {
    await expect(
      startTestHub({ host: '127.0.0.250', requestLog: '/nonexistent-dir/requests.jsonl' }),
    ).rejects.toThrow(/ENOENT/);
    const hub = await startTestHub({ host: '127.0.0.250' });
    await hub.stop();
  });
});
