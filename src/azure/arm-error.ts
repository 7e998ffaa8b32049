// An Azure Resource Manager error answer as a typed error. ARM and the resource providers behind it
// answer `{"error":{"code","message"}}` (a few older paths answer `{"code","message"}` at the top
// level); callers decide on `status` and `code`, and show `message`, which names the resource.
import { redactSecrets } from './redact-secrets.js';

export class ArmError extends Error {
  constructor(
    readonly status: number,
    /** The service's error code, e.g. 'ResourceNotFound', 'AuthorizationFailed', 'UserError'. */
    readonly code: string,
    /** The service's message, redacted. */
    readonly serviceMessage: string,
    readonly method: string,
    /** The request path without the query. */
    readonly path: string,
    readonly requestId?: string,
  ) {
    super(`${method} ${path} failed with ${status} ${code}: ${serviceMessage}`);
    this.name = 'ArmError';
  }
}

interface ErrorShape {
  code?: unknown;
  message?: unknown;
}

function errorPart(body: unknown): ErrorShape | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const nested = (body as { error?: unknown }).error;
  if (nested && typeof nested === 'object') return nested as ErrorShape;
  return body as ErrorShape;
}

/** The code and message of an ARM error body; falls back to the HTTP status when there is none. */
export function readArmErrorBody(status: number, text: string): { code: string; message: string } {
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const part = errorPart(body);
  const code = typeof part?.code === 'string' && part.code ? part.code : `Http${status}`;
  const raw = typeof part?.message === 'string' && part.message ? part.message : text.slice(0, 300);
  return { code, message: redactSecrets(raw.trim() || `HTTP ${status}`) };
}
