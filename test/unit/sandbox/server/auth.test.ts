import { describe, expect, test } from '@jest/globals';
import { authorize, type AuthConfig } from '../../../../src/sandbox/auth.js';
import { TEST_TOKEN_ISSUER, hubAccessToken, jwt, sasToken, secondsFromNow } from '../../../support/tokens.js';

const HOST = 'sandbox-hub.azure-devices.net';
const KEY = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
const OTHER_KEY = Buffer.from('fedcba9876543210fedcba9876543210').toString('base64');
const config: AuthConfig = {
  hostName: HOST,
  policies: [
    { keyName: 'iothubowner', key: KEY },
    { keyName: 'registryRead', key: OTHER_KEY },
  ],
  trustedIssuers: [TEST_TOKEN_ISSUER],
};

function reasonOf(header: string | undefined): string {
  const result = authorize(header, config);
  if (result.ok) throw new Error('expected a rejection');
  return result.reason;
}

describe('shared access signatures', () => {
  test('a token the SDK signs with the policy key passes', () => {
    expect(authorize(sasToken(HOST, 'iothubowner', KEY, secondsFromNow(3600)), config)).toEqual({
      ok: true,
      principal: 'policy:iothubowner',
    });
  });

  test('a resource under the hub (a device scope) passes too', () => {
    const token = sasToken(`${HOST}/devices/dev-1`, 'iothubowner', KEY, secondsFromNow(60));
    expect(authorize(token, config).ok).toBe(true);
  });

  test('a URL-encoded sr signed in its encoded form passes (Microsoft token samples)', () => {
    const resource = encodeURIComponent(`${HOST}/devices/dev 1`);
    const token = sasToken(resource, 'iothubowner', KEY, secondsFromNow(60));
    expect(authorize(token, config).ok).toBe(true);
  });

  const rejections: [string, () => string | undefined, RegExp][] = [
    ['no header', () => undefined, /no Authorization header/],
    ['an unknown scheme', () => 'Basic dXNlcjpwYXNz', /scheme must be/],
    [
      'a signature made with another key',
      () => sasToken(HOST, 'iothubowner', OTHER_KEY, secondsFromNow(60)),
      /does not match the key of policy 'iothubowner'/,
    ],
    ['an expired token', () => sasToken(HOST, 'iothubowner', KEY, secondsFromNow(-1)), /expired at/],
    [
      'a policy the hub does not have',
      () => sasToken(HOST, 'device', KEY, secondsFromNow(60)),
      /no shared access policy named 'device'/,
    ],
    [
      'a token for another hub',
      () => sasToken('other-hub.azure-devices.net', 'iothubowner', KEY, secondsFromNow(60)),
      /not for this hub/,
    ],
    [
      'a host that only shares a prefix',
      () => sasToken(`${HOST}.evil`, 'iothubowner', KEY, secondsFromNow(60)),
      /not for this hub/,
    ],
    ['missing fields', () => `SharedAccessSignature sr=${HOST}&se=${secondsFromNow(60)}`, /has no sig, skn/],
    [
      'a non-numeric expiry',
      () => `SharedAccessSignature sr=${HOST}&sig=abc&se=soon&skn=iothubowner`,
      /not a number/,
    ],
  ];
  test.each(rejections)('rejects %s', (_name, header, reason) => {
    expect(reasonOf(header())).toMatch(reason);
  });

  test('a tampered expiry breaks the signature', () => {
    const token = sasToken(HOST, 'iothubowner', KEY, secondsFromNow(60)).replace(
      /se=\d+/,
      `se=${secondsFromNow(7200)}`,
    );
    expect(reasonOf(token)).toMatch(/does not match/);
  });

  test('reasons never echo the signature or the key', () => {
    const token = sasToken(HOST, 'iothubowner', OTHER_KEY, secondsFromNow(60));
    const signature = /sig=([^&]+)/.exec(token)![1]!;
    const reason = reasonOf(token);
    expect(reason).not.toContain(decodeURIComponent(signature));
    expect(reason).not.toContain(KEY);
    expect(reason).not.toContain(OTHER_KEY);
  });

  test('expiry is judged against the time given (real time by default)', () => {
    const token = sasToken(HOST, 'iothubowner', KEY, 2_000_000_000);
    expect(authorize(token, config, 1_999_999_999_000).ok).toBe(true);
    expect(authorize(token, config, 2_000_000_000_000).ok).toBe(false);
  });
});

describe('bearer tokens', () => {
  test('a token from a trusted issuer for the IoT Hub audience passes', () => {
    expect(authorize(`Bearer ${hubAccessToken()}`, config)).toEqual({
      ok: true,
      principal: 'entra:test-principal',
    });
  });

  test('an audience list and a trailing slash are accepted', () => {
    const token = hubAccessToken({ aud: ['api://other', 'https://iothubs.azure.net/'] });
    expect(authorize(`Bearer ${token}`, config).ok).toBe(true);
  });

  const rejections: [string, string, RegExp][] = [
    [
      'an untrusted issuer',
      hubAccessToken({ iss: 'https://login.example.com/other/v2.0' }),
      /issuer .* is not trusted/,
    ],
    ['another audience', hubAccessToken({ aud: 'https://management.azure.com' }), /audience must be/],
    ['an expired token', hubAccessToken({ exp: secondsFromNow(-5) }), /expired at/],
    ['a token not valid yet', hubAccessToken({ nbf: secondsFromNow(600) }), /not valid yet/],
    ['a token without expiry', hubAccessToken({ exp: undefined }), /no expiry/],
    ['something that is not a JWT', 'not-a-token', /not a JSON Web Token/],
    ['a JWT whose payload is not JSON', `${jwt({}).split('.')[0]}.bm90IGpzb24.sig`, /not a JSON Web Token/],
  ];
  test.each(rejections)('rejects %s', (_name, token, reason) => {
    expect(reasonOf(`Bearer ${token}`)).toMatch(reason);
  });
});
