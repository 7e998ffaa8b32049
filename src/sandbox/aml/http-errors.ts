// The error answers of the two services the sandbox stands in for, in their own shapes: ARM and
// Azure ML answer `{"error":{"code","message"}}`; Entra ID's token endpoint answers OAuth errors
// (`error`, `error_description` starting with the AADSTS code, `error_codes`).
import { randomUUID } from 'node:crypto';

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export class SandboxHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status}`);
    this.name = 'SandboxHttpError';
  }

  toResponse(): SandboxResponse {
    return { status: this.status, headers: this.headers, body: this.body };
  }
}

/** An ARM / Azure ML error: `{"error":{"code","message"}}`. */
export function armError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): SandboxHttpError {
  return new SandboxHttpError(status, { error: { code, message } }, headers);
}

/** An Entra ID token endpoint error for AADSTS `code` (e.g. 7000215). */
export function entraError(status: number, error: string, code: number, message: string): SandboxHttpError {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return new SandboxHttpError(status, {
    error,
    error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}
