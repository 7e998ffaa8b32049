// `POST /configurations/testQueries`: the hub checks a target condition and custom metric queries
// without creating anything. The `azure-iothub` Registry does not wrap it, so it is one HTTPS request
// made here, with the SDK's api-version and an Authorization header from a HubAuthorization.
// Failures are thrown in the shapes `readHubFailure` understands (HubHttpError or a socket error), so
// the same retry rules apply as to the SDK's calls.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import iothub from 'azure-iothub';
import type { TestQueriesResult } from './hub-client.js';
import { HubHttpError } from './hub-failure.js';
import type { HubAuthorization } from './hub-authorization.js';

/** No answer within this long counts as a timed-out connection (ETIMEDOUT), which is retried. */
const REQUEST_TIMEOUT_MS = 60_000;

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function postJson(
  hostName: string,
  path: string,
  authorization: string,
  payload: string,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostName,
        method: 'POST',
        path,
        headers: {
          authorization,
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(payload),
          'request-id': randomUUID(),
          'user-agent': 'ml-to-iot-edge',
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => {
      const error: NodeJS.ErrnoException = new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`);
      error.code = 'ETIMEDOUT';
      req.destroy(error);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function readResult(body: string): TestQueriesResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error('IoT Hub answered testQueries with a body that is not JSON');
  }
  const { targetConditionError, customMetricQueryErrors } = (parsed ?? {}) as Record<string, unknown>;
  const errors: Record<string, string> = {};
  if (customMetricQueryErrors && typeof customMetricQueryErrors === 'object') {
    for (const [name, error] of Object.entries(customMetricQueryErrors)) {
      // The hub lists every query; the valid ones with an empty (or null) error.
      if (typeof error === 'string' && error) errors[name] = error;
    }
  }
  return {
    targetConditionError: typeof targetConditionError === 'string' ? targetConditionError : '',
    customMetricQueryErrors: errors,
  };
}

/** Asks the hub whether `targetCondition` and `metricQueries` are valid. HTTP errors throw HubHttpError. */
export async function postTestQueries(
  auth: HubAuthorization,
  targetCondition: string,
  metricQueries: Record<string, string> = {},
): Promise<TestQueriesResult> {
  const path = `/configurations/testQueries${iothub.versionQueryString()}`;
  const payload = JSON.stringify({ targetCondition, customMetricQueries: metricQueries });
  const answer = await postJson(auth.hostName, path, await auth.header(), payload);
  if (answer.status < 200 || answer.status >= 300) {
    throw new HubHttpError(answer.status, answer.headers, answer.body);
  }
  return readResult(answer.body);
}
