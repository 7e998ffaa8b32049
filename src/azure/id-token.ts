// The claims of a GitHub OIDC ID token that decide whether Entra ID accepts it (issuer, subject,
// audience), for a log line and for sign-in errors, as Azure/login logs them. Only the payload is
// decoded; the signature is never shown and the token itself never leaves this module.

export interface IdTokenClaims {
  iss?: string;
  sub?: string;
  aud?: string;
}

function claimText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(', ');
  return undefined;
}

/** The iss, sub and aud claims of a JWT; undefined when it is not a JWT with a JSON payload. */
export function readIdTokenClaims(jwt: string): IdTokenClaims | undefined {
  const parts = jwt.trim().split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (!payload || typeof payload !== 'object') return undefined;
    const { iss, sub, aud } = payload as Record<string, unknown>;
    return { iss: claimText(iss), sub: claimText(sub), aud: claimText(aud) };
  } catch {
    return undefined;
  }
}

/** `issuer '…', subject '…', audience '…'`: what a federated credential must match exactly. */
export function describeIdToken(jwt: string): string {
  const claims = readIdTokenClaims(jwt);
  if (!claims) return 'not a JWT (its claims cannot be shown)';
  const show = (value: string | undefined) => (value === undefined ? '(none)' : `'${value}'`);
  return `issuer ${show(claims.iss)}, subject ${show(claims.sub)}, audience ${show(claims.aud)}`;
}
