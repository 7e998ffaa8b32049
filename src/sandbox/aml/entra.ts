// The sandbox's stand-in for Entra ID: just enough of the v2.0 endpoints for the real @azure/identity
// credentials (MSAL underneath) to sign in against it — the OpenID configuration MSAL reads first,
// and the client-credentials grant with a client secret or a client assertion (a GitHub OIDC token
// matched against federated credentials, exactly and case-sensitively). Failures answer the AADSTS
// codes Entra ID uses, so sign-in explanations can be tested. Tokens are unsigned JWTs issued as
// `https://sts.windows.net/<tenant>/` for the resource of the `.default` scope asked for.
import { createHash } from 'node:crypto';
import { decodeJwt, encodeJwt, nowSeconds, type Claims } from './jwt.js';
import { entraError, type SandboxResponse } from './http-errors.js';

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const GITHUB_AUDIENCE = 'api://AzureADTokenExchange';
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TOKEN_LIFETIME_SECONDS = 3600;

export interface FederatedCredential {
  issuer: string;
  subject: string;
  audience: string;
}

export interface SandboxClient {
  clientId: string;
  /** Default: the sandbox's tenant. */
  tenantId?: string;
  clientSecret?: string;
  federatedCredentials?: FederatedCredential[];
}

export interface IssuedToken {
  tenantId: string;
  clientId: string;
  objectId: string;
  audience: string;
}

/** A stable object id for a client, as a service principal has one. */
export function principalObjectId(tenantId: string, clientId: string): string {
  const hex = createHash('sha256').update(`${tenantId}/${clientId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function tokenIssuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

function claimText(claims: Claims, name: string): string {
  const value = claims[name];
  return typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : '';
}

export class SandboxEntra {
  constructor(
    private readonly origin: () => string,
    private readonly clients: readonly (SandboxClient & { tenantId: string })[],
    private readonly onToken: (token: IssuedToken) => void = () => undefined,
  ) {}

  private knowsTenant(tenantId: string): boolean {
    return this.clients.some((client) => client.tenantId.toLowerCase() === tenantId.toLowerCase());
  }

  /** GET /{tenant}/v2.0/.well-known/openid-configuration. */
  openIdConfiguration(tenant: string): SandboxResponse {
    const base = `${this.origin()}/${tenant}`;
    return {
      status: 200,
      body: {
        issuer: `${base}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        tenant_region_scope: null,
        cloud_instance_name: 'sandbox.invalid',
      },
    };
  }

  jwks(): SandboxResponse {
    return { status: 200, body: { keys: [] } };
  }

  /** POST /{tenant}/oauth2/v2.0/token with a form body. */
  token(tenant: string, form: URLSearchParams): SandboxResponse {
    // Discovery answers for any tenant so that an unknown one fails here, with Entra's own code.
    if (!this.knowsTenant(tenant))
      throw entraError(
        400,
        'invalid_request',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    if (form.get('grant_type') !== 'client_credentials')
      throw entraError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${form.get('grant_type')}'.`,
      );
    const clientId = form.get('client_id') ?? '';
    const client = this.clients.find(
      (c) =>
        c.clientId.toLowerCase() === clientId.toLowerCase() &&
        c.tenantId.toLowerCase() === tenant.toLowerCase(),
    );
    if (!client)
      throw entraError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the ` +
          'application has not been installed by the administrator of the tenant or consented to by any user in the tenant.',
      );
    this.authenticate(client, form);
    return { status: 200, body: this.issue(client, form.get('scope') ?? '') };
  }

  private authenticate(client: SandboxClient & { tenantId: string }, form: URLSearchParams): void {
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (!client.clientSecret || secret !== client.clientSecret)
        throw entraError(
          401,
          'invalid_client',
          7000215,
          'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not ' +
            `the client secret ID, for a secret added to app '${client.clientId}'.`,
        );
      return;
    }
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== JWT_BEARER)
        throw entraError(
          400,
          'invalid_request',
          90014,
          "The request body must contain the following parameter: 'client_assertion_type'.",
        );
      this.checkAssertion(client, assertion);
      return;
    }
    throw entraError(
      401,
      'invalid_client',
      7000216,
      "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
    );
  }

  private checkAssertion(client: SandboxClient, assertion: string): void {
    const claims = decodeJwt(assertion);
    if (!claims) throw entraError(400, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
    const now = nowSeconds();
    const exp = Number(claims.exp);
    const nbf = claims.nbf === undefined ? -Infinity : Number(claims.nbf);
    if (!(exp > now) || nbf > now + 300)
      throw entraError(
        400,
        'invalid_client',
        700024,
        `Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, ` +
          `assertion valid from ${Number.isFinite(nbf) ? new Date(nbf * 1000).toISOString() : 'any time'}, expiry time of assertion ${new Date(exp * 1000).toISOString()}.`,
      );
    const presented = {
      issuer: claimText(claims, 'iss'),
      subject: claimText(claims, 'sub'),
      audience: claimText(claims, 'aud'),
    };
    const credentials = client.federatedCredentials ?? [];
    const exact = credentials.some(
      (c) =>
        c.issuer === presented.issuer && c.subject === presented.subject && c.audience === presented.audience,
    );
    if (exact) return;
    const ignoringCase = credentials.some(
      (c) =>
        c.issuer === presented.issuer &&
        c.audience === presented.audience &&
        c.subject.toLowerCase() === presented.subject.toLowerCase(),
    );
    const described = `Assertion Issuer: '${presented.issuer}'. Assertion Subject: '${presented.subject}'. Assertion Audience: '${presented.audience}'.`;
    if (ignoringCase)
      throw entraError(
        400,
        'invalid_client',
        7002138,
        `No matching federated identity record found for presented assertion subject '${presented.subject}'. Please note that the ` +
          'matching is done using a case-sensitive comparison. A federated identity record matches with case-insensitive ' +
          'comparison, but not with case-sensitive.',
      );
    throw entraError(
      400,
      'invalid_request',
      70021,
      `No matching federated identity record found for presented assertion. ${described}`,
    );
  }

  private issue(client: SandboxClient & { tenantId: string }, scope: string): Record<string, unknown> {
    const resources = scope.split(' ').filter((s) => s.endsWith('/.default'));
    if (resources.length !== 1)
      throw entraError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    const audience = resources[0]!.slice(0, -'/.default'.length);
    const objectId = principalObjectId(client.tenantId, client.clientId);
    const now = nowSeconds();
    const claims: Claims = {
      aud: audience,
      iss: tokenIssuer(client.tenantId),
      iat: now,
      nbf: now,
      exp: now + TOKEN_LIFETIME_SECONDS,
      appid: client.clientId,
      appidacr: '1',
      idtyp: 'app',
      oid: objectId,
      sub: objectId,
      tid: client.tenantId,
      ver: '1.0',
    };
    this.onToken({ tenantId: client.tenantId, clientId: client.clientId, objectId, audience });
    return {
      token_type: 'Bearer',
      expires_in: TOKEN_LIFETIME_SECONDS,
      ext_expires_in: TOKEN_LIFETIME_SECONDS,
      access_token: encodeJwt(claims),
    };
  }
}

/** A GitHub Actions OIDC token as the sandbox accepts it (claims checked, signature not). */
export function githubIdToken(claims: {
  subject: string;
  audience?: string;
  issuer?: string;
  lifetimeSeconds?: number;
}): string {
  const now = nowSeconds();
  return encodeJwt({
    iss: claims.issuer ?? GITHUB_ISSUER,
    sub: claims.subject,
    aud: claims.audience ?? GITHUB_AUDIENCE,
    iat: now,
    nbf: now - 5,
    exp: now + (claims.lifetimeSeconds ?? 300),
    repository: claims.subject.split(':')[1] ?? '',
  });
}
