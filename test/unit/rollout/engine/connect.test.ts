// The hub client from the inputs: a connection string, or a host name with Entra ID; neither is an
// input error that names both ways. Nothing here reaches the network.
import { expect, test } from '@jest/globals';
import { memoryLogger } from '../../../../src/logger.js';
import { connectHub } from '../../../../src/rollout/connect.js';
import { RolloutInputError } from '../../../../src/rollout/problems.js';

const deps = () => ({ clock: { now: () => 0, sleep: async () => undefined }, logger: memoryLogger() });
const KEY = Buffer.from('k'.repeat(32)).toString('base64');

test('a connection string signs with its shared access policy', () => {
  const hub = connectHub(
    {
      connectionString: `HostName=myhub.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY}`,
    },
    deps(),
  );
  expect(hub.hostName).toBe('myhub.azure-devices.net');
});

test('a host name signs in with Entra ID (here a client secret), and says which', () => {
  const context = deps();
  const hub = connectHub(
    {
      hostName: 'https://myhub.azure-devices.net/',
      clientId: 'app',
      tenantId: 'tenant',
      clientSecret: 'not-logged-secret',
    },
    context,
  );
  expect(hub.hostName).toBe('myhub.azure-devices.net');
  expect(context.logger.lines.join('\n')).toMatch(/client secret of client-id app in tenant-id tenant/);
  expect(context.logger.lines.join('\n')).not.toContain('not-logged-secret');
});

test('GitHub OIDC when the run can mint ID tokens', () => {
  const context = deps();
  connectHub(
    { hostName: 'myhub.azure-devices.net', clientId: 'app', tenantId: 'tenant' },
    { ...context, getIdToken: async () => 'token' },
  );
  expect(context.logger.lines.join('\n')).toMatch(/GitHub OIDC as client-id app in tenant-id tenant/);
});

test('neither is an input error naming both options', () => {
  expect(() => connectHub({}, deps())).toThrow(RolloutInputError);
  expect(() => connectHub({}, deps())).toThrow(
    /neither iothub-host-name nor iothub-connection-string is set/,
  );
});
