// Who may call the sandbox hub. Two kinds of credentials, as on a real IoT Hub:
// - shared access signatures made from a shared access policy (what every connection string makes);
// - Entra ID bearer tokens (what `Registry.fromTokenCredential` sends).
// Reasons are returned, never tokens or keys: callers put the reason in a 401 body and logs.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A shared access policy of the hub (e.g. `iothubowner`) with its base64 key. */
export interface AccessPolicy {
  keyName: string;
  key: string;
}

export interface AuthConfig {
  /** The hub's host name; a SAS token's `sr` must be this name (or a resource under it). */
  hostName: string;
  policies: AccessPolicy[];
  /** Token issuers (`iss`) whose bearer tokens the hub accepts. */
  trustedIssuers: string[];
}

export type AuthResult = { ok: true; principal: string } | { ok: false; reason: string };

/** The audience of Entra ID tokens for IoT Hub data-plane calls (scope `https://iothubs.azure.net/.default`). */
export const IOT_HUB_AUDIENCE = 'https://iothubs.azure.net';

const SAS_PREFIX = 'SharedAccessSignature';
const BEARER_PREFIX = 'Bearer';

/** Checks an `Authorization` header; `nowMs` is REAL time, because clients sign with real time. */
export function authorize(header: string | undefined, config: AuthConfig, nowMs = Date.now()): AuthResult {
  if (!header) return deny('the request has no Authorization header');
  const space = header.indexOf(' ');
  const scheme = space > 0 ? header.slice(0, space) : header;
  const credential = space > 0 ? header.slice(space + 1).trim() : '';
  if (scheme === SAS_PREFIX) return verifySharedAccessSignature(credential, config, nowMs);
  if (scheme.toLowerCase() === BEARER_PREFIX.toLowerCase())
    return verifyBearerToken(credential, config, nowMs);
  return deny(`the Authorization scheme must be ${SAS_PREFIX} or ${BEARER_PREFIX}`);
}

function deny(reason: string): AuthResult {
  return { ok: false, reason };
}

function parseSasFields(credential: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of credential.split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return fields;
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function sign(key: string, resource: string, expiry: string): Buffer {
  return createHmac('sha256', Buffer.from(key, 'base64'))
    .update(resource + '\n' + expiry)
    .digest();
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function isUnderHost(resource: string, hostName: string): boolean {
  const r = resource.toLowerCase();
  const h = hostName.toLowerCase();
  return r === h || r.startsWith(h + '/');
}

/**
 * `sr=<resource>&sig=<urlencoded base64 HMAC>&se=<unix seconds>&skn=<policy>`, verified as IoT Hub does:
 * HMAC-SHA256 with the policy key over `decodeURIComponent(sr) + "\n" + se`. Microsoft's token
 * samples sign the URL-encoded resource instead (identical for a bare host name), so that form passes too.
 */
function verifySharedAccessSignature(credential: string, config: AuthConfig, nowMs: number): AuthResult {
  const fields = parseSasFields(credential);
  const missing = ['sr', 'sig', 'se', 'skn'].filter((name) => !fields.get(name));
  if (missing.length) return deny(`the shared access signature has no ${missing.join(', ')}`);
  const rawResource = fields.get('sr')!;
  const expiry = fields.get('se')!;
  const resource = safeDecode(rawResource);
  const signature = safeDecode(fields.get('sig')!);
  const keyName = safeDecode(fields.get('skn')!);
  if (resource === undefined || signature === undefined || keyName === undefined) {
    return deny('the shared access signature is not URL-encoded correctly');
  }
  if (!/^\d+$/.test(expiry))
    return deny('the shared access signature expiry (se) is not a number of seconds');
  if (Number(expiry) * 1000 <= nowMs) {
    return deny(`the shared access signature expired at ${new Date(Number(expiry) * 1000).toISOString()}`);
  }
  if (!isUnderHost(resource, config.hostName)) {
    return deny(`the shared access signature is for '${resource}', not for this hub '${config.hostName}'`);
  }
  const policy = config.policies.find((p) => p.keyName === keyName);
  if (!policy) return deny(`the hub has no shared access policy named '${keyName}'`);
  const presented = Buffer.from(signature, 'base64');
  const valid =
    sameBytes(presented, sign(policy.key, resource, expiry)) ||
    sameBytes(presented, sign(policy.key, rawResource, expiry));
  if (!valid) return deny(`the shared access signature does not match the key of policy '${keyName}'`);
  return { ok: true, principal: `policy:${keyName}` };
}

function decodeJwtPart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function withoutTrailingSlash(value: string): string {
  return value.endsWith('/') ? value.slice(0, -1) : value;
}

/**
 * A JWT from a configured issuer for the IoT Hub audience, within its validity window. The signature
 * is not checked: like Azurite's OAuth mode, the sandbox trusts whatever its configured issuer hands
 * out, so tests need no key distribution. Issuer, audience, expiry and not-before are enforced.
 */
function verifyBearerToken(token: string, config: AuthConfig, nowMs: number): AuthResult {
  const parts = token.split('.');
  const claims = parts.length === 3 && decodeJwtPart(parts[0]!) ? decodeJwtPart(parts[1]!) : undefined;
  if (!claims) return deny('the bearer token is not a JSON Web Token');
  const issuer = typeof claims.iss === 'string' ? claims.iss : '';
  const trusted = config.trustedIssuers.map(withoutTrailingSlash);
  if (!trusted.includes(withoutTrailingSlash(issuer))) {
    return deny(`the bearer token issuer '${issuer}' is not trusted by this hub`);
  }
  const audiences = (Array.isArray(claims.aud) ? claims.aud : [claims.aud]).filter(
    (a): a is string => typeof a === 'string',
  );
  if (!audiences.some((a) => withoutTrailingSlash(a) === IOT_HUB_AUDIENCE)) {
    return deny(`the bearer token audience must be ${IOT_HUB_AUDIENCE}`);
  }
  const nowSeconds = nowMs / 1000;
  if (typeof claims.exp !== 'number') return deny('the bearer token has no expiry (exp)');
  if (claims.exp <= nowSeconds) {
    return deny(`the bearer token expired at ${new Date(claims.exp * 1000).toISOString()}`);
  }
  if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds) {
    return deny('the bearer token is not valid yet (nbf)');
  }
  const subject =
    typeof claims.oid === 'string' ? claims.oid : typeof claims.sub === 'string' ? claims.sub : '';
  return { ok: true, principal: `entra:${subject || issuer}` };
}
