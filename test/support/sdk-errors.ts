// Asserting on the errors `azure-iothub` raises: its error class (by name, as the SDK's
// translateError picks it from the status), the HTTP status and the service error code in the body.
import { expect } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { hubErrorCode } from './sandbox.js';

export type SdkError = Error & { response?: IncomingMessage; responseBody?: string; code?: string };

export async function sdkError(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the SDK call to fail, but it succeeded');
}

/** Expects the SDK call to fail with `errorName`, `status` and (when given) the body's ErrorCode. */
export async function expectSdkError(
  promise: Promise<unknown>,
  errorName: string,
  status: number,
  code?: string,
): Promise<SdkError> {
  const error = await sdkError(promise);
  const body = error.responseBody ? (JSON.parse(error.responseBody) as unknown) : undefined;
  expect({ name: error.name, status: error.response?.statusCode, code: code && hubErrorCode(body) }).toEqual({
    name: errorName,
    status,
    code,
  });
  return error;
}
