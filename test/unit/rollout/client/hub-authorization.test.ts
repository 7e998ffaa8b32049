import { describe, expect, test } from '@jest/globals';
import iothub from 'azure-iothub';
import {
  IOT_HUB_SCOPE,
  bearerAuthorization,
  normaliseHubHostName,
  parseHubConnectionString,
  sasAuthorization,
} from '../../../../src/rollout/hub-authorization.js';

const KEY = 'c2VjcmV0LWtleS1ieXRlcy1mb3ItdGVzdHM=';
const CONNECTION_STRING = `HostName=myhub.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY}`;

describe('connection strings', () => {
  test('are read into host, policy and key (a key may end in =)', () => {
    expect(parseHubConnectionString(` ${CONNECTION_STRING} `)).toEqual({
      hostName: 'myhub.azure-devices.net',
      keyName: 'iothubowner',
      key: KEY,
    });
  });

  test.each([
    [
      'HostName=myhub.azure-devices.net;SharedAccessKeyName=iothubowner',
      /lacks SharedAccessKey \(it has HostName, SharedAccessKeyName\)/,
    ],
    [
      'not a connection string',
      /lacks HostName, SharedAccessKeyName, SharedAccessKey \(it has nothing readable\)/,
    ],
    [`HostName=h;DeviceId=edge-1;SharedAccessKey=${KEY}`, /device connection string/],
  ])('%s is refused without showing the key', (value, message) => {
    let error: unknown;
    try {
      parseHubConnectionString(value);
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(KEY);
  });

  test('SAS headers are the SDK’s own tokens, for the hub, valid about an hour', async () => {
    const auth = sasAuthorization(CONNECTION_STRING);
    const header = await auth.header();
    const sas = iothub.SharedAccessSignature.parse(header);
    expect(sas).toMatchObject({ sr: 'myhub.azure-devices.net', skn: 'iothubowner' });
    expect(Number(sas.se) - Date.now() / 1000).toBeGreaterThan(3500);
    expect(auth.secrets()).toEqual(expect.arrayContaining([KEY, CONNECTION_STRING, header]));
  });
});

test('bearer headers ask the credential for the IoT Hub scope and remember the token', async () => {
  const scopes: unknown[] = [];
  const auth = bearerAuthorization('myhub.azure-devices.net', {
    getToken: async (scope) => {
      scopes.push(scope);
      return { token: 'eyJ.token.x', expiresOnTimestamp: Date.now() + 60_000 };
    },
  });
  expect(await auth.header()).toBe('Bearer eyJ.token.x');
  expect(scopes).toEqual([IOT_HUB_SCOPE]);
  expect(auth.secrets()).toEqual(['eyJ.token.x']);
});

describe('hub host names', () => {
  test.each([
    ['myhub.azure-devices.net', 'myhub.azure-devices.net'],
    ['https://myhub.azure-devices.net/', 'myhub.azure-devices.net'],
    [' 127.0.0.5 ', '127.0.0.5'],
  ])('%s → %s', (value, expected) => {
    expect(normaliseHubHostName(value)).toBe(expected);
  });

  test.each([
    ['myhub.azure-devices.net:8443', /port 443/],
    ['', /not an IoT Hub host name/],
    ['myhub.azure-devices.net/path', /not an IoT Hub host name/],
  ])('%s is refused', (value, message) => {
    expect(() => normaliseHubHostName(value)).toThrow(message);
  });
});
