import { describe, expect, test } from '@jest/globals';
import { redactSecrets } from '../../../src/azure/redact-secrets.js';

const KEY = 'c2VjcmV0LWtleS1ieXRlcy1mb3ItdGVzdHM+/AB==';
const SAS =
  'SharedAccessSignature sr=myhub.azure-devices.net&sig=AbC%2Bd%2F123%3D&se=1767225600&skn=iothubowner';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWY6cmVmcy9oZWFkcy9tYWluIn0.c2lnbmF0dXJl';

describe('redactSecrets', () => {
  test.each([
    ['a SAS token', `authorization: ${SAS}`, 'authorization: SharedAccessSignature [redacted]'],
    ['a SAS signature alone', 'sr=myhub&sig=AbC%2Bd&se=1', 'sr=myhub&sig=[redacted]&se=1'],
    [
      'a connection string',
      `HostName=myhub.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY}`,
      'HostName=myhub.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=[redacted]',
    ],
    ['a bearer token', `Authorization: Bearer ${JWT}`, 'Authorization: Bearer [redacted]'],
    ['a bare JWT', `assertion ${JWT} refused`, 'assertion [redacted] refused'],
    ['ordinary text', 'IoT Hub answered 503 ServiceUnavailable', 'IoT Hub answered 503 ServiceUnavailable'],
  ])('removes %s', (_name, text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  test('removes known secrets in plain and URL-encoded form, but not short words', () => {
    const text = `key ${KEY} or ${encodeURIComponent(KEY)}; policy owner`;
    const redacted = redactSecrets(text, [KEY, 'owner']);
    expect(redacted).toBe('key [redacted] or [redacted]; policy owner');
  });
});
