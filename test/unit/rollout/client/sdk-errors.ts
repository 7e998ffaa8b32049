// Errors exactly as azure-iothub raises them: its own translateError turns an HTTP answer into the
// error class for the status, with `response` and `responseBody` attached. Socket errors carry a code.
import type { IncomingHttpHeaders } from 'node:http';
import restApiClient from 'azure-iothub/dist/common-http/rest_api_client.js';

const { RestApiClient } = restApiClient;

/** The body IoT Hub sends with an error: `{"Message":"ErrorCode:<code>;<text>"}`. */
export function hubErrorBody(code: string, text: string): string {
  return JSON.stringify({ Message: `ErrorCode:${code};${text}`, ExceptionMessage: 'Tracking ID:abc-G:0' });
}

export function sdkHttpError(status: number, headers: IncomingHttpHeaders = {}, body = ''): Error {
  const response = { statusCode: status, headers };
  return RestApiClient.translateError(body, response as never) as Error;
}

export function socketError(code: string, message = `${code.toLowerCase()} on the socket`): Error {
  return Object.assign(new Error(message), { code });
}
