// What went wrong with one IoT Hub request, read from whatever was thrown: an `azure-iothub` error
// (its `translateError` puts the HTTP `response` — an IncomingMessage with the headers — and the raw
// `responseBody` on the error), a `HubHttpError` from our own HTTPS calls, or a socket error. Only
// the status, the hub's error code, headers and a redacted message are kept: the SDK error itself
// also references the request, Authorization header included, so it never travels further.
import type { IncomingHttpHeaders } from 'node:http';

/** An HTTP error answer to a request this project sends itself (the Registry does not wrap it). */
export class HubHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly headers: IncomingHttpHeaders,
    readonly body: string,
  ) {
    super(`IoT Hub answered ${statusCode}`);
    this.name = 'HubHttpError';
  }
}

export interface HubFailure {
  /** HTTP status, when the hub answered. */
  status?: number;
  /** The hub's error code (`ThrottlingException`, `PreconditionFailed`, …), when it said one. */
  errorCode?: string;
  /** The hub's own explanation, when it gave one. */
  hubMessage?: string;
  /** Node's socket error code (`ECONNRESET`, `ETIMEDOUT`, …) when no answer arrived. */
  networkCode?: string;
  /** The `Retry-After` header as sent. */
  retryAfter?: string;
  /** One line saying what happened, with credentials redacted. */
  description: string;
}

interface ResponseLike {
  statusCode?: number;
  headers?: IncomingHttpHeaders;
}

/** `{"Message":"ErrorCode:<code>;<text>"}`, the body IoT Hub errors carry. */
function parseHubErrorBody(body: unknown): { code?: string; message?: string } {
  if (typeof body !== 'string' || !body) return {};
  try {
    const parsed = JSON.parse(body) as { Message?: unknown };
    if (typeof parsed.Message !== 'string') return {};
    const match = /^ErrorCode:([^;]*);(.*)$/s.exec(parsed.Message);
    return match ? { code: match[1], message: match[2] } : { message: parsed.Message };
  } catch {
    return {};
  }
}

function headerValue(headers: IncomingHttpHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

function httpParts(error: unknown): { response?: ResponseLike; body?: unknown } {
  if (error instanceof HubHttpError) {
    return { response: { statusCode: error.statusCode, headers: error.headers }, body: error.body };
  }
  const candidate = error as { response?: ResponseLike; responseBody?: unknown } | undefined;
  if (candidate?.response && typeof candidate.response.statusCode === 'number') {
    return { response: candidate.response, body: candidate.responseBody };
  }
  return {};
}

/** Reads a thrown value into a HubFailure; `redact` scrubs every text that is kept. */
export function readHubFailure(error: unknown, redact: (text: string) => string): HubFailure {
  const { response, body } = httpParts(error);
  if (response?.statusCode !== undefined) {
    const parsed = parseHubErrorBody(body);
    const errorCode = headerValue(response.headers, 'iothub-errorcode') ?? parsed.code;
    const hubMessage = parsed.message === undefined ? undefined : redact(parsed.message.trim());
    const label = [String(response.statusCode), errorCode].filter(Boolean).join(' ');
    return {
      status: response.statusCode,
      errorCode,
      hubMessage,
      retryAfter: headerValue(response.headers, 'retry-after'),
      description: redact(hubMessage ? `${label}: ${hubMessage}` : label),
    };
  }
  const networkCode = socketErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const description = networkCode && !message.includes(networkCode) ? `${message} (${networkCode})` : message;
  return { networkCode, description: redact(description) };
}

/** The code of a socket, DNS or TLS error (ECONNRESET, EAI_AGAIN, CERT_HAS_EXPIRED, …); not other codes such as AADSTS ones. */
function socketErrorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  return /^E[A-Z0-9_]+$/.test(code) || /CERT|TLS|SSL/.test(code) ? code : undefined;
}

/** What usually fixes a refusal, by status (and the hub's error code where it matters). */
function hintFor(failure: HubFailure): string {
  switch (failure.status) {
    case 401:
      return (
        ' Check the credentials: the key in the connection string (iothub-connection-string), or, with Entra ID, ' +
        "that the identity has the 'IoT Hub Data Contributor' role on this hub and iothub-host-name is right."
      );
    case 403:
      return failure.errorCode === 'ConfigurationCountLimitExceeded'
        ? ' The hub holds its maximum of deployments: lower keep-releases or delete old deployments.'
        : ' The hub refused the operation for this identity or this hub tier.';
    default:
      break;
  }
  if (failure.networkCode === 'ENOTFOUND') return ' Check the hub host name: no such host.';
  if (failure.status === undefined && /certificate/i.test(failure.description)) {
    return " The hub's TLS certificate is not trusted here (a proxy re-signing TLS needs NODE_EXTRA_CA_CERTS).";
  }
  return '';
}

function refusalMessage(operation: string, failure: HubFailure): string {
  const what =
    failure.status !== undefined
      ? `IoT Hub refused to ${operation}`
      : failure.networkCode
        ? `could not reach IoT Hub to ${operation}`
        : `could not ${operation} on IoT Hub`;
  return `${what}: ${failure.description}.${hintFor(failure)}`;
}

/** A failure a retry cannot change: the hub's answer (400, 401, 403, 404, …) or an unreachable hub. */
export class HubRequestError extends Error {
  readonly status?: number;
  readonly errorCode?: string;

  constructor(
    readonly operation: string,
    readonly failure: HubFailure,
  ) {
    super(refusalMessage(operation, failure));
    this.name = 'HubRequestError';
    this.status = failure.status;
    this.errorCode = failure.errorCode;
  }
}
