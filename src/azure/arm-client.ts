// A small Azure Resource Manager REST client for the handful of calls the toolkit makes (Azure ML
// datastores and model versions). The official management SDKs either pin an old api-version or
// default to previews (reference §2), so calls name their api-version themselves. Built on
// @azure/core-rest-pipeline: bearer tokens from a TokenCredential for `<endpoint>/.default`, and the
// pipeline's default retries (429/503 after their Retry-After, other 5xx and network errors with
// exponential back-off). Non-2xx answers become ArmErrors.
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type HttpMethods,
  type Pipeline,
  type PipelineRetryOptions,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { ArmError, readArmErrorBody } from './arm-error.js';

export { ArmError } from './arm-error.js';

export const PUBLIC_ARM_ENDPOINT = 'https://management.azure.com';

export interface ArmClientOptions {
  /** e.g. https://management.azure.com, or a sovereign cloud's endpoint. Must be https. */
  endpoint: string;
  credential: TokenCredential;
  /** Default: 3 retries, 1 s doubling up to 64 s (Retry-After wins when the service sends it). */
  retry?: PipelineRetryOptions;
  httpClient?: HttpClient;
  userAgentPrefix?: string;
}

export interface ArmRequest {
  method: HttpMethods;
  /** Path below the endpoint, starting with `/subscriptions/...`; segments already encoded. */
  path: string;
  apiVersion: string;
  query?: Record<string, string>;
  body?: unknown;
}

export interface ArmResponse<T> {
  status: number;
  body: T;
}

export interface ArmClient {
  readonly endpoint: string;
  send<T>(request: ArmRequest): Promise<ArmResponse<T>>;
}

/** The token scope of an ARM endpoint: `https://management.azure.com/.default`. */
export function armScope(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/.default`;
}

function checkEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`arm-endpoint '${endpoint}' is not a URL: use e.g. ${PUBLIC_ARM_ENDPOINT}`);
  }
  // The bearer policy refuses plain http anyway; say so before the first request.
  if (url.protocol !== 'https:') throw new Error(`arm-endpoint '${endpoint}' must be an https:// URL`);
  return endpoint.replace(/\/+$/, '');
}

export function createArmClient(options: ArmClientOptions): ArmClient {
  const endpoint = checkEndpoint(options.endpoint);
  const pipeline: Pipeline = createPipelineFromOptions({
    retryOptions: options.retry,
    userAgentOptions: { userAgentPrefix: options.userAgentPrefix ?? 'ml-to-iot-edge' },
  });
  pipeline.addPolicy(
    bearerTokenAuthenticationPolicy({ credential: options.credential, scopes: armScope(endpoint) }),
  );
  const httpClient = options.httpClient ?? createDefaultHttpClient();

  return {
    endpoint,
    async send<T>(request: ArmRequest): Promise<ArmResponse<T>> {
      const query = new URLSearchParams({ ...request.query, 'api-version': request.apiVersion });
      const headers = createHttpHeaders({ accept: 'application/json' });
      let body: string | undefined;
      if (request.body !== undefined) {
        body = JSON.stringify(request.body);
        headers.set('content-type', 'application/json');
      }
      const response = await pipeline.sendRequest(
        httpClient,
        createPipelineRequest({
          url: `${endpoint}${request.path}?${query}`,
          method: request.method,
          headers,
          body,
        }),
      );
      const text = response.bodyAsText ?? '';
      if (response.status >= 200 && response.status < 300) {
        return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
      }
      const { code, message } = readArmErrorBody(response.status, text);
      const requestId =
        response.headers.get('x-ms-request-id') ?? response.headers.get('x-ms-correlation-request-id');
      throw new ArmError(response.status, code, message, request.method, request.path, requestId);
    },
  };
}
