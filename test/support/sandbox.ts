// Sandbox hubs for tests. `npm test` (scripts/test.ts) makes a test CA, trusts it in every test
// process through NODE_EXTRA_CA_CERTS and passes its files in SANDBOX_CA_CERT / SANDBOX_CA_KEY. A
// sandbox signed by any other CA would be refused by the SDK, so without them tests fail, loudly.
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { startSandboxHub, type SandboxHub, type SandboxHubOptions } from '../../src/sandbox/index.js';
import type { PemPair } from '../../src/sandbox/tls.js';
import { TEST_TOKEN_ISSUER, sasToken, secondsFromNow } from './tokens.js';

/** The CA that test processes trust, read from the files `npm test` names. */
export function testCertificateAuthority(): PemPair & { file: string } {
  const certFile = process.env.SANDBOX_CA_CERT;
  const keyFile = process.env.SANDBOX_CA_KEY;
  if (!certFile || !keyFile || !process.env.NODE_EXTRA_CA_CERTS) {
    throw new Error(
      'SANDBOX_CA_CERT, SANDBOX_CA_KEY and NODE_EXTRA_CA_CERTS are not set: run the tests through npm test ' +
        '(e.g. `npm test -- test/integration/sandbox`), which creates the test CA and trusts it.',
    );
  }
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), file: certFile };
}

/** A sandbox hub on port 443 of a free loopback address, signed by the test CA, trusting the test issuer. */
export function startTestHub(options: SandboxHubOptions = {}): Promise<SandboxHub> {
  return startSandboxHub({ ca: testCertificateAuthority(), trustedIssuers: [TEST_TOKEN_ISSUER], ...options });
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/**
 * One HTTPS request to a sandbox hub, for what the Registry does not wrap (testQueries) or cannot send
 * (no api-version). Authorization defaults to a SAS token from the hub's own connection string.
 */
export function hubRequest(
  hub: SandboxHub,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const { SharedAccessKeyName, SharedAccessKey } = parseConnectionString(hub.connectionString);
  const authorization = sasToken(hub.hostName, SharedAccessKeyName!, SharedAccessKey!, secondsFromNow(600));
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hub.hostName,
        port: hub.port,
        method,
        path,
        headers: {
          authorization,
          ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? JSON.parse(text) : undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function parseConnectionString(connectionString: string): Record<string, string> {
  return Object.fromEntries(
    connectionString.split(';').map((part) => {
      const eq = part.indexOf('=');
      return [part.slice(0, eq), part.slice(eq + 1)];
    }),
  );
}

/** The `ErrorCode:<code>` of a hub error body. */
export function hubErrorCode(body: unknown): string | undefined {
  const message = (body as { Message?: unknown } | undefined)?.Message;
  return typeof message === 'string' ? /^ErrorCode:([^;]*);/.exec(message)?.[1] : undefined;
}

/** Polls `probe` until it returns a value (not undefined), failing after `timeoutMs` of real time. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
