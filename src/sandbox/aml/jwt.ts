// Unsigned JWTs for the sandbox's Entra stand-in. Like Azurite, the sandbox checks a token's claims
// (issuer, audience, lifetime), never its signature: there is no key to trust offline.

export type Claims = Record<string, unknown>;

function base64UrlJson(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A JWT with `claims` and a placeholder signature. */
export function encodeJwt(claims: Claims): string {
  return `${base64UrlJson({ typ: 'JWT', alg: 'RS256', kid: 'sandbox' })}.${base64UrlJson(claims)}.c2FuZGJveA`;
}

/** The claims of a JWT; undefined when `token` is not one. */
export function decodeJwt(token: string): Claims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Claims) : undefined;
  } catch {
    return undefined;
  }
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
