// Azure Container Registry sign-in without the admin user: an Entra access token (ARM audience) is
// exchanged at `POST https://<registry>/oauth2/exchange` for an ACR refresh token, which docker and
// the registry reader then use as the password of the null-GUID user (Azure/acr docs/AAD-OAuth.md).
// The refresh token lives about 3 hours: enough for a push, never handed to devices.
import type { TokenCredential } from '@azure/identity';
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
} from '@azure/core-rest-pipeline';
import { armScope } from '../azure/arm-client.js';
import { TOKEN_USERNAME } from './registry-login.js';
import type { RegistryCredentials } from './registry-client.js';

export class AcrExchangeError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AcrExchangeError';
  }
}

/** The `tid` claim of a JWT access token, or undefined when it is not a readable JWT. */
export function tenantOfToken(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { tid?: unknown };
    return typeof claims.tid === 'string' ? claims.tid : undefined;
  } catch {
    return undefined;
  }
}

export interface AcrExchangeOptions {
  /** Login server, e.g. myacr.azurecr.io. */
  registry: string;
  credential: TokenCredential;
  /** ARM endpoint whose audience the Entra token is for (default the public cloud's). */
  armEndpoint?: string;
  tenantId?: string;
  httpClient?: HttpClient;
  /** Hides the tokens from the log. */
  mask(secret: string): void;
}

/** Registry credentials (null-GUID user + ACR refresh token) for an Entra identity. */
export async function acrCredentialsFromEntra(options: AcrExchangeOptions): Promise<RegistryCredentials> {
  const scope = armScope(options.armEndpoint ?? 'https://management.azure.com');
  const accessToken = await options.credential.getToken(scope);
  if (!accessToken) throw new AcrExchangeError(`Azure sign-in returned no token for ${scope}`);
  options.mask(accessToken.token);
  const tenant = options.tenantId ?? tenantOfToken(accessToken.token);
  const form = new URLSearchParams({
    grant_type: 'access_token',
    service: options.registry,
    access_token: accessToken.token,
  });
  if (tenant) form.set('tenant', tenant);
  const pipeline = createPipelineFromOptions({ userAgentOptions: { userAgentPrefix: 'ml-to-iot-edge' } });
  const response = await pipeline.sendRequest(
    options.httpClient ?? createDefaultHttpClient(),
    createPipelineRequest({
      url: `https://${options.registry}/oauth2/exchange`,
      method: 'POST',
      headers: createHttpHeaders({
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      }),
      body: form.toString(),
    }),
  );
  const text = response.bodyAsText ?? '';
  if (response.status !== 200) {
    let detail = text.slice(0, 200);
    try {
      const body = JSON.parse(text) as {
        errors?: Array<{ message?: string }>;
        error?: string;
        error_description?: string;
      };
      detail = body.errors?.[0]?.message ?? body.error_description ?? body.error ?? detail;
    } catch {
      // keep the raw text
    }
    const hint =
      response.status === 401 || response.status === 403
        ? ' The signed-in identity needs the AcrPush role on the registry (and the registry must accept Entra tokens).'
        : '';
    throw new AcrExchangeError(
      `${options.registry} refused the Entra token exchange (${response.status}${detail ? `: ${detail.replaceAll(accessToken.token, '***')}` : ''}).${hint}`,
      response.status,
    );
  }
  const refreshToken = (JSON.parse(text) as { refresh_token?: string }).refresh_token;
  if (!refreshToken)
    throw new AcrExchangeError(`${options.registry} returned no refresh_token from /oauth2/exchange`);
  options.mask(refreshToken);
  return { username: TOKEN_USERNAME, password: refreshToken };
}
