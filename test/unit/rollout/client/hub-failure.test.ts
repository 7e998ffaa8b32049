import { describe, expect, test } from '@jest/globals';
import { AzureSignInError } from '../../../../src/azure/credentials.js';
import { redactSecrets } from '../../../../src/azure/redact-secrets.js';
import { HubHttpError, HubRequestError, readHubFailure } from '../../../../src/rollout/hub-failure.js';
import { hubErrorBody, sdkHttpError, socketError } from './sdk-errors.js';

const KEY = 'c2VjcmV0LWtleS1ieXRlcy1mb3ItdGVzdHM=';
const SAS = 'SharedAccessSignature sr=myhub&sig=QUJD&se=1767225600&skn=iothubowner';
const redact = (text: string) => redactSecrets(text, [KEY]);

describe('readHubFailure', () => {
  test('keeps status, code, message and Retry-After of an SDK error, and nothing of its request', () => {
    const error = sdkHttpError(
      429,
      { 'retry-after': '7', 'iothub-errorcode': 'ThrottlingException' },
      hubErrorBody('ThrottlingException', 'too many requests'),
    );
    // What an SDK error really carries: the response references the request and its headers.
    Object.assign((error as unknown as { response: object }).response, {
      req: { _header: `authorization: ${SAS}` },
    });
    const failure = readHubFailure(error, redact);
    expect(failure).toEqual({
      status: 429,
      errorCode: 'ThrottlingException',
      hubMessage: 'too many requests',
      retryAfter: '7',
      description: '429 ThrottlingException: too many requests',
    });
  });

  test('redacts credentials the hub or a socket error echo back', () => {
    const echoed = sdkHttpError(
      401,
      {},
      hubErrorBody('IotHubUnauthorizedAccess', `token ${SAS} with key ${KEY}`),
    );
    expect(readHubFailure(echoed, redact).description).toBe(
      '401 IotHubUnauthorizedAccess: token SharedAccessSignature [redacted] with key [redacted]',
    );
    const socket = socketError('ECONNRESET', `reset while sending Bearer eyJhbGc.eyJzdWIi.sig`);
    expect(readHubFailure(socket, redact)).toEqual({
      networkCode: 'ECONNRESET',
      description: 'reset while sending Bearer [redacted] (ECONNRESET)',
    });
  });

  test('reads HubHttpError (our own HTTPS calls) like an SDK error', () => {
    const error = new HubHttpError(503, { 'retry-after': '2' }, hubErrorBody('ServiceUnavailable', 'busy'));
    expect(readHubFailure(error, redact)).toMatchObject({
      status: 503,
      errorCode: 'ServiceUnavailable',
      retryAfter: '2',
    });
  });

  test('a body that is not the hub’s error shape still gives the status', () => {
    expect(readHubFailure(sdkHttpError(502, {}, '<html>bad gateway</html>'), redact).description).toBe('502');
  });
});

describe('HubRequestError', () => {
  test.each([
    [
      sdkHttpError(401, {}, hubErrorBody('IotHubUnauthorizedAccess', 'bad key')),
      /refused to list deployments: 401 .*IoT Hub Data Contributor/,
    ],
    [
      sdkHttpError(403, {}, hubErrorBody('ConfigurationCountLimitExceeded', 'full')),
      /403 ConfigurationCountLimitExceeded: full\. The hub holds its maximum of deployments/,
    ],
    [
      socketError('ENOTFOUND', 'getaddrinfo ENOTFOUND myhub.azure-devices.net'),
      /could not reach IoT Hub to list deployments: .*host name/,
    ],
    [new Error('the credential said no'), /could not list deployments on IoT Hub: the credential said no/],
    [
      new AzureSignInError(
        'Azure sign-in with GitHub OIDC failed: AADSTS70021: no match',
        'github-oidc',
        'AADSTS70021',
      ),
      /^could not list deployments on IoT Hub: Azure sign-in with GitHub OIDC failed: AADSTS70021: no match\.$/,
    ],
  ])('%s explains itself', (error, message) => {
    const refusal = new HubRequestError('list deployments', readHubFailure(error, redact));
    expect(refusal.message).toMatch(message);
  });
});
