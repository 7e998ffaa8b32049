// The sign-in inputs every Azure stage shares (client-id, tenant-id, client-secret, audience,
// authority-host), checked as input problems before any request, then turned into the credential.
import { type InputProblem, type ParsedInputs, textInput as text } from '../action/parse-inputs.js';
import type { Logger } from '../logger.js';
import { createAzureCredential, type AzureCredential } from './credentials.js';

const GUID = /^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
/** A tenant GUID or a domain name such as contoso.onmicrosoft.com (what @azure/identity accepts). */
const TENANT = /^(?:[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+)$/;

/** Entra hosts that answer instance discovery; any other authority (private, local) skips it. */
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoft.com',
  'login.windows.net',
  'sts.windows.net',
  'login.microsoftonline.us',
  'login.usgovcloudapi.net',
  'login-us.microsoftonline.com',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
]);

export interface SignInInputs {
  clientId?: string;
  tenantId?: string;
  clientSecret?: string;
  audience?: string;
  authorityHost?: string;
}

export function signInInputs(inputs: ParsedInputs): SignInInputs {
  return {
    clientId: text(inputs, 'client-id'),
    tenantId: text(inputs, 'tenant-id'),
    clientSecret: text(inputs, 'client-secret'),
    audience: text(inputs, 'audience'),
    authorityHost: text(inputs, 'authority-host'),
  };
}

/** Problems of the sign-in inputs; `oidc` says whether a GitHub ID token source is available. */
export function signInProblems(given: SignInInputs, oidc = false): InputProblem[] {
  const problems: InputProblem[] = [];
  if (given.clientId && !GUID.test(given.clientId))
    problems.push({
      input: 'client-id',
      message: `'${given.clientId}' is not a client id: use the Application (client) ID GUID of the app registration or managed identity`,
    });
  if (given.tenantId && !TENANT.test(given.tenantId))
    problems.push({
      input: 'tenant-id',
      message: `'${given.tenantId}' is not a tenant: use the Directory (tenant) ID GUID or a domain such as contoso.onmicrosoft.com`,
    });
  if (given.clientSecret && !(given.clientId && given.tenantId))
    problems.push({
      input: given.clientId ? 'tenant-id' : 'client-id',
      message:
        'is required with client-secret: a client secret signs in as an application of a tenant (set client-id and tenant-id)',
    });
  else if (
    oidc &&
    !given.clientSecret &&
    (given.clientId || given.tenantId) &&
    !(given.clientId && given.tenantId)
  )
    problems.push({
      input: given.clientId ? 'tenant-id' : 'client-id',
      message:
        'is required for GitHub OIDC sign-in: set both client-id and tenant-id of the identity with the federated credential',
    });
  if (given.authorityHost) {
    let url: URL | undefined;
    try {
      url = new URL(given.authorityHost);
    } catch {
      url = undefined;
    }
    if (url?.protocol !== 'https:')
      problems.push({
        input: 'authority-host',
        message: `'${given.authorityHost}' is not an https:// URL: use e.g. https://login.microsoftonline.com`,
      });
  }
  return problems;
}

/** Whether MSAL should skip instance discovery: only Microsoft's own authorities answer it. */
export function isPrivateAuthority(authorityHost: string | undefined): boolean {
  if (!authorityHost) return false;
  try {
    return !MICROSOFT_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname.toLowerCase());
  } catch {
    return false;
  }
}

/** The credential for checked sign-in inputs (see createAzureCredential for which kind is used). */
export function credentialFromInputs(
  given: SignInInputs,
  context: { getIdToken?: (audience: string) => Promise<string>; logger?: Logger },
): AzureCredential {
  return createAzureCredential({
    ...given,
    getIdToken: context.getIdToken,
    logger: context.logger,
    disableInstanceDiscovery: isPrivateAuthority(given.authorityHost) || undefined,
  });
}

/** "client-id 1234… in tenant-id …": who signs in, for messages about permissions. */
export function describeIdentity(given: SignInInputs, kind: string): string {
  if (given.clientId) return `The identity with client-id ${given.clientId}`;
  return kind === 'default' ? 'The signed-in Azure identity' : 'The Azure identity';
}
