// Why an Azure sign-in failed, in words that say which input or workflow setting to change. Entra ID
// reports the cause as an AADSTS code inside @azure/identity's error message; the usual ones for
// GitHub OIDC and client secrets get their own explanation, anything else a list of inputs to check.
// Texts taken from errors are redacted: tokens, assertions and secrets never appear.
import { describeIdToken } from './id-token.js';
import { redactSecrets } from './redact-secrets.js';

export type AzureCredentialKind = 'github-oidc' | 'client-secret' | 'default';

export interface SignInContext {
  kind: AzureCredentialKind;
  clientId?: string;
  tenantId?: string;
  audience?: string;
  authorityHost?: string;
  /** The last GitHub ID token presented, for its claims (never the token itself). */
  lastIdToken?: string;
  /** Set when GitHub did not hand out an ID token. */
  idTokenFailure?: string;
  /** Literal secrets to redact (client secret, assertions). */
  secrets: readonly string[];
}

/** Azure sign-in failed; the message explains why and what to check. */
export class AzureSignInError extends Error {
  constructor(
    message: string,
    readonly kind: AzureCredentialKind,
    /** The AADSTS code, e.g. 'AADSTS70021', when Entra ID said one. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'AzureSignInError';
  }
}

const SUBJECT_EXAMPLE =
  "a job with 'environment: prod' presents 'repo:<owner>/<repo>:environment:prod', not " +
  "'repo:<owner>/<repo>:ref:refs/heads/main'";

function presented(context: SignInContext): string {
  return context.lastIdToken ? `This run's GitHub token has ${describeIdToken(context.lastIdToken)}.` : '';
}

/** Explanations by AADSTS code. */
const BY_CODE: Record<string, (context: SignInContext) => string> = {
  AADSTS70021: (c) =>
    `No federated credential of client-id ${c.clientId} matches this run's token. ${presented(c)} ` +
    `Add a federated credential with exactly this issuer, subject and audience (${SUBJECT_EXAMPLE}), ` +
    'or check client-id and tenant-id.',
  AADSTS700211: (c) =>
    `The token's issuer matches no federated credential of client-id ${c.clientId}. ${presented(c)} ` +
    "GitHub.com issues tokens as 'https://token.actions.githubusercontent.com'.",
  AADSTS700212: (c) =>
    `The token's audience matches no federated credential of client-id ${c.clientId}. ${presented(c)} ` +
    "Set the audience input to the credential's audience (default 'api://AzureADTokenExchange'; sovereign clouds use their own).",
  AADSTS700213: (c) =>
    `The token's subject matches no federated credential of client-id ${c.clientId}. ${presented(c)} ` +
    `The subject must match exactly: ${SUBJECT_EXAMPLE}.`,
  AADSTS7002138: (c) =>
    `The token's subject matches a federated credential only when case is ignored; Entra ID compares it ` +
    `case-sensitively. ${presented(c)} Fix the case of the owner, repository or environment in the credential.`,
  AADSTS700016: (c) =>
    `No application with client-id ${c.clientId} exists in tenant-id ${c.tenantId}: check both inputs ` +
    '(the application (client) id and directory (tenant) id of the app registration or managed identity).',
  AADSTS90002: (c) =>
    `Tenant '${c.tenantId}' was not found${c.authorityHost ? ` at ${c.authorityHost}` : ''}: check tenant-id, ` +
    'and authority-host for sovereign clouds.',
  AADSTS900023: (c) =>
    `tenant-id '${c.tenantId}' is neither a tenant GUID nor a domain name: check tenant-id.`,
  AADSTS7000215: () =>
    "client-secret is not a valid secret of this application: use the secret's value (not its id) and check client-id.",
  AADSTS7000222: () =>
    'client-secret has expired: create a new secret for the application and update the input.',
  AADSTS700024: () =>
    "The GitHub token was outside its valid time range: check the runner's clock (a fresh token is requested " +
    'for every sign-in, so expiry alone does not cause this).',
};

const GENERAL_ADVICE: Record<AzureCredentialKind, string> = {
  'github-oidc':
    'Check client-id and tenant-id (the app registration or managed identity that has the federated credential), ' +
    "audience (default 'api://AzureADTokenExchange'; sovereign clouds use their own) and authority-host.",
  'client-secret':
    "Check client-id, tenant-id and client-secret (the secret's value, not its id, and not expired).",
  default:
    'No Azure credential was found, or it was refused. Outside GitHub Actions, sign in with `az login`, set ' +
    'AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET, or run with a managed identity. In a workflow, set ' +
    'client-id and tenant-id and grant `permissions: id-token: write` (GitHub OIDC), or give a client-secret.',
};

function describeKind(context: SignInContext): string {
  const ids = [
    context.clientId && `client-id ${context.clientId}`,
    context.tenantId && `tenant-id ${context.tenantId}`,
  ]
    .filter(Boolean)
    .join(', ');
  const name = {
    'github-oidc': 'GitHub OIDC',
    'client-secret': 'a client secret',
    default: 'the default Azure credentials',
  }[context.kind];
  return ids ? `${name} (${ids})` : name;
}

/** The part of an identity error message that says what happened: the AADSTS line, or the first line. */
function headline(message: string): string {
  const aadsts = /AADSTS\d+:[^\r\n]*/.exec(message)?.[0];
  const line = (aadsts ?? message.split(/\r?\n/).find((part) => part.trim()) ?? message)
    .replace(/\s*Trace ID:.*$/i, '')
    .trim();
  return line.length > 400 ? `${line.slice(0, 397)}...` : line;
}

/** An AzureSignInError for `error`, which a credential's getToken threw for `scope`. */
export function explainSignInFailure(
  error: unknown,
  scope: string,
  context: SignInContext,
): AzureSignInError {
  const message = redactSecrets(error instanceof Error ? error.message : String(error), context.secrets);
  const code = /AADSTS\d+/.exec(message)?.[0];
  const intro = `Azure sign-in with ${describeKind(context)} failed for ${scope}`;
  if (context.idTokenFailure !== undefined) {
    return new AzureSignInError(
      `${intro}: GitHub did not issue an OIDC token (${redactSecrets(context.idTokenFailure, context.secrets)}). ` +
        'The workflow or job needs `permissions: id-token: write` (pull requests from forks get no token); ' +
        'outside GitHub Actions, use a client-secret or `az login` instead.',
      context.kind,
    );
  }
  const specific = code ? BY_CODE[code]?.(context) : undefined;
  const unreachable = /ENOTFOUND|ECONNREFUSED|getaddrinfo/i.test(message)
    ? ` The authority${context.authorityHost ? ` ${context.authorityHost}` : ''} could not be reached: check authority-host and the network.`
    : '';
  const advice = specific ?? GENERAL_ADVICE[context.kind];
  return new AzureSignInError(
    `${intro}: ${headline(message)}. ${advice}${unreachable}`.replace(/\s+/g, ' '),
    context.kind,
    code,
  );
}
