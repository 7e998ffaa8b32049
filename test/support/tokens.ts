// Credentials for tests against the sandbox hub: SAS tokens made the way the SDK makes them, and
// Entra-like bearer tokens (JWTs) from an issuer the sandbox is told to trust.
import type { AccessToken, TokenCredential } from '@azure/identity';
import iothub from 'azure-iothub';
import { recordTestSecret } from './journal.js';

export const TEST_TOKEN_ISSUER = 'https://login.sandbox.test/00000000-0000-0000-0000-000000000000/v2.0';
export const IOT_HUB_AUDIENCE = 'https://iothubs.azure.net';

/** `SharedAccessSignature sr=…&sig=…&skn=…&se=…` exactly as `azure-iothub` builds it. */
export function sasToken(hostName: string, keyName: string, key: string, expirySeconds: number): string {
  const token = iothub.SharedAccessSignature.create(hostName, keyName, key, expirySeconds).toString();
  const signature = /sig=([^&]+)/.exec(token)?.[1];
  if (signature) recordTestSecret(decodeURIComponent(signature)); // for the secret scan (test/support/journal.ts)
  return token;
}

export function secondsFromNow(seconds: number): number {
  return Math.floor(Date.now() / 1000) + seconds;
}

function base64UrlJson(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A JWT with the given claims; the signature is a placeholder (the sandbox trusts its issuers). */
export function jwt(claims: Record<string, unknown>): string {
  const token = `${base64UrlJson({ alg: 'RS256', typ: 'JWT' })}.${base64UrlJson(claims)}.c2FuZGJveA`;
  recordTestSecret(token); // for the secret scan (test/support/journal.ts)
  return token;
}

export function hubAccessToken(overrides: Record<string, unknown> = {}): string {
  return jwt({
    iss: TEST_TOKEN_ISSUER,
    aud: IOT_HUB_AUDIENCE,
    oid: 'test-principal',
    nbf: secondsFromNow(-60),
    exp: secondsFromNow(3600),
    ...overrides,
  });
}

/** A TokenCredential such as `@azure/identity` provides, handing out `hubAccessToken(overrides)`. */
export function staticTokenCredential(overrides: Record<string, unknown> = {}): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      return { token: hubAccessToken(overrides), expiresOnTimestamp: Date.now() + 3600_000 };
    },
  };
}
