// A tiny Entra ID stand-in over HTTPS on a loopback port, enough for @azure/identity's MSAL-based
// credentials with `authorityHost` pointed at it and instance discovery off: the OpenID discovery
// document and the client-credentials token endpoint. It records every token request and can be told
// to refuse them with an AADSTS error, as Entra ID does.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { issueServerCertificate } from '../../../src/sandbox/tls.js';
import { testCertificateAuthority } from '../../support/sandbox.js';

export interface TokenRequest {
  tenant: string;
  form: Record<string, string>;
}

export interface Refusal {
  status: number;
  /** e.g. 'AADSTS70021: No matching federated identity record found ...' */
  description: string;
  error?: string;
}

export interface TokenEndpoint {
  authorityHost: string;
  requests: TokenRequest[];
  /** Answers every token request with this error until cleared (undefined). */
  refuseWith(refusal: Refusal | undefined): void;
  stop(): Promise<void>;
}

/** Seconds a token lives: under MSAL's 5-minute renewal margin, so every getToken goes to the endpoint. */
const TOKEN_LIFETIME_SECONDS = 120;

function json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

export interface TokenEndpointOptions {
  /** The access token to hand out for the n-th request (default `access-token-<n>`). */
  accessToken?: (request: number) => string;
}

export async function startTokenEndpoint(options: TokenEndpointOptions = {}): Promise<TokenEndpoint> {
  const accessToken = options.accessToken ?? ((n: number) => `access-token-${n}`);
  const requests: TokenRequest[] = [];
  let refusal: Refusal | undefined;
  const server: Server = createServer(
    await issueServerCertificate(testCertificateAuthority(), ['127.0.0.1']),
  );
  let base = '';

  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', base);
    const discovery = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    if (req.method === 'GET' && discovery) {
      const tenant = discovery[1]!;
      json(res, 200, {
        issuer: `${base}/${tenant}/v2.0`,
        authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
        end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'token'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
      return;
    }
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (req.method === 'POST' && token) {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        requests.push({ tenant: token[1]!, form: Object.fromEntries(new URLSearchParams(body)) });
        if (refusal) {
          const code = Number(/AADSTS(\d+)/.exec(refusal.description)?.[1] ?? 0);
          json(res, refusal.status, {
            error: refusal.error ?? 'invalid_client',
            error_description: `${refusal.description}\r\nTrace ID: 0000 Correlation ID: 1111 Timestamp: 2026-01-01 00:00:00Z`,
            error_codes: [code],
            trace_id: '0000',
            correlation_id: '1111',
          });
          return;
        }
        json(res, 200, {
          token_type: 'Bearer',
          expires_in: TOKEN_LIFETIME_SECONDS,
          ext_expires_in: TOKEN_LIFETIME_SECONDS,
          access_token: accessToken(requests.length),
        });
      });
      return;
    }
    json(res, 404, { error: 'not_found', error_description: `no ${req.method} ${url.pathname} here` });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    authorityHost: base,
    requests,
    refuseWith: (next) => (refusal = next),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
