// The Azure credential for Entra ID sign-in (IoT Hub, ARM, Storage share it):
//   - GitHub OIDC: ClientAssertionCredential fed by GitHub's ID token. The caller passes the token
//     source (the action layer passes core.getIDToken, which also masks the token); it is asked
//     afresh for every assertion, because a GitHub ID token lives about 5 minutes and a rollout
//     runs longer (Azure/login#180: `az` caches the first assertion and long jobs fail).
//   - a client secret: ClientSecretCredential.
//   - otherwise DefaultAzureCredential (outside Actions: az login, environment, managed identity).
// getToken failures become AzureSignInErrors that say what to check, without tokens or secrets.
import {
  ClientAssertionCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  type AccessToken,
  type GetTokenOptions,
  type TokenCredential,
} from '@azure/identity';
import type { Logger } from '../logger.js';
import { describeIdToken } from './id-token.js';
import { explainSignInFailure, type AzureCredentialKind, type SignInContext } from './sign-in-errors.js';

export { AzureSignInError, type AzureCredentialKind } from './sign-in-errors.js';

/** The audience Entra ID expects on GitHub tokens in the public cloud (Azure/login's default). */
export const DEFAULT_OIDC_AUDIENCE = 'api://AzureADTokenExchange';

export interface AzureCredentialOptions {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** A fresh GitHub OIDC ID token for `audience` (the action layer passes core.getIDToken). */
  getIdToken?: (audience: string) => Promise<string>;
  /** Audience of the GitHub token (default api://AzureADTokenExchange). */
  audience?: string;
  /** Entra authority host, e.g. https://login.microsoftonline.us for sovereign clouds. */
  authorityHost?: string;
  /** Skips Entra instance discovery (private or local authorities). */
  disableInstanceDiscovery?: boolean;
  /** Says which sign-in is used and what the GitHub token claims; never a token. */
  logger?: Logger;
}

export interface AzureCredential extends TokenCredential {
  readonly kind: AzureCredentialKind;
}

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function checkAuthorityHost(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`authority-host '${value}' is not a URL: use e.g. https://login.microsoftonline.com`);
  }
  if (url.protocol !== 'https:') throw new Error(`authority-host '${value}' must be an https:// URL`);
  return value;
}

/** Which sign-in the options ask for; refuses half-given identities rather than guessing. */
function chooseKind(
  options: AzureCredentialOptions,
  ids: { tenantId?: string; clientId?: string },
): AzureCredentialKind {
  const missing = [!ids.clientId && 'client-id', !ids.tenantId && 'tenant-id'].filter(Boolean).join(' and ');
  if (present(options.clientSecret)) {
    if (missing)
      throw new Error(`client-secret is set, but ${missing} is missing: a client secret needs both ids`);
    return 'client-secret';
  }
  if (options.getIdToken && (ids.clientId || ids.tenantId)) {
    if (missing) throw new Error(`GitHub OIDC sign-in needs client-id and tenant-id; ${missing} is missing`);
    return 'github-oidc';
  }
  return 'default';
}

/**
 * A TokenCredential for the given inputs: GitHub OIDC when a token source and both ids are given, a
 * client secret when one is given, otherwise DefaultAzureCredential.
 */
export function createAzureCredential(options: AzureCredentialOptions = {}): AzureCredential {
  const tenantId = present(options.tenantId);
  const clientId = present(options.clientId);
  const clientSecret = present(options.clientSecret);
  const authorityHost = checkAuthorityHost(present(options.authorityHost));
  const audience = present(options.audience) ?? DEFAULT_OIDC_AUDIENCE;
  const kind = chooseKind(options, { tenantId, clientId });
  const context: SignInContext = {
    kind,
    clientId,
    tenantId,
    audience,
    authorityHost,
    secrets: clientSecret ? [clientSecret] : [],
  };
  const identityOptions = { authorityHost, disableInstanceDiscovery: options.disableInstanceDiscovery };
  const logger = options.logger;

  let inner: TokenCredential;
  if (kind === 'client-secret') {
    inner = new ClientSecretCredential(tenantId!, clientId!, clientSecret!, identityOptions);
    logger?.info(`Azure sign-in: client secret of client-id ${clientId} in tenant-id ${tenantId}`);
  } else if (kind === 'github-oidc') {
    const getIdToken = options.getIdToken!;
    let described = false;
    const assertion = async (): Promise<string> => {
      context.idTokenFailure = undefined;
      let token: string;
      try {
        token = await getIdToken(audience);
      } catch (error) {
        context.idTokenFailure = error instanceof Error ? error.message : String(error);
        throw error;
      }
      context.lastIdToken = token;
      context.secrets = [token];
      // Azure/login logs the claims once; they are what a federated credential must match.
      const line = `GitHub OIDC token: ${describeIdToken(token)}`;
      if (described) logger?.debug(line);
      else logger?.info(line);
      described = true;
      return token;
    };
    inner = new ClientAssertionCredential(tenantId!, clientId!, assertion, identityOptions);
    logger?.info(
      `Azure sign-in: GitHub OIDC as client-id ${clientId} in tenant-id ${tenantId} (audience ${audience})`,
    );
  } else {
    inner = new DefaultAzureCredential({
      ...identityOptions,
      tenantId,
      managedIdentityClientId: clientId,
    });
    logger?.info('Azure sign-in: default Azure credentials (environment, managed identity, az login, ...)');
  }

  return {
    kind,
    async getToken(
      scopes: string | string[],
      getTokenOptions?: GetTokenOptions,
    ): Promise<AccessToken | null> {
      try {
        return await inner.getToken(scopes, getTokenOptions);
      } catch (error) {
        throw explainSignInFailure(error, [scopes].flat().join(' '), context);
      }
    },
  };
}
