// How the sandbox ARM endpoints (Azure ML and ACR) check an Entra access token, as ARM does: present,
// unexpired, for this endpoint's audience, from the tenant's issuer. The signature is not checked:
// the sandbox trusts its own Entra stand-in, as Azurite trusts any well-formed token.
import { tokenIssuer } from './entra.js';
import { armError } from './http-errors.js';
import { decodeJwt, nowSeconds } from './jwt.js';

/** Entra's well-known paths under `/<tenant>/`, answered by the Entra stand-in. */
export const ENTRA_PATH =
  /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token|discovery\/v2\.0\/keys)$/;

export interface ArmCaller {
  clientId: string;
  objectId: string;
}

export interface ArmAudience {
  /** The endpoint's origin, which is also the token audience. */
  origin(): string;
  tenantId: string;
}

/** The caller a bearer token names, or ARM's 401 with `challenge` headers. */
export function checkArmToken(
  token: string | undefined,
  audience: ArmAudience,
  challenge: Record<string, string>,
): ArmCaller {
  const claims = token ? decodeJwt(token) : undefined;
  if (!claims) throw armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', challenge);
  const now = nowSeconds();
  if (!(Number(claims.exp) > now))
    throw armError(
      401,
      'ExpiredAuthenticationToken',
      `The access token expiry UTC time '${new Date(Number(claims.exp) * 1000).toISOString()}' is earlier than current UTC time '${new Date(now * 1000).toISOString()}'.`,
      challenge,
    );
  const origin = audience.origin();
  if (claims.aud !== origin && claims.aud !== `${origin}/`)
    throw armError(
      401,
      'InvalidAuthenticationToken',
      `The access token has been obtained for wrong audience or resource '${String(claims.aud)}'. It should exactly match with one of the allowed audiences '${origin}','${origin}/'.`,
      challenge,
    );
  const issuer = tokenIssuer(audience.tenantId);
  if (claims.iss !== issuer)
    throw armError(
      401,
      'InvalidAuthenticationTokenTenant',
      `The access token is from the wrong issuer '${String(claims.iss)}'. It must match the tenant '${issuer}' associated with this subscription. ` +
        `Please use the authority (URL) '${origin}/${audience.tenantId}' to get the token.`,
      challenge,
    );
  return { clientId: String(claims.appid ?? ''), objectId: String(claims.oid ?? '') };
}
