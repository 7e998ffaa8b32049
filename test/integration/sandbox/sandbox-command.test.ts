// `ml-to-iot-edge sandbox` for real: it binds port 443 of a loopback address with a CA of its own,
// prints one JSON line, answers HTTPS as a hub, and stops cleanly when told to.
import { afterAll, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSandboxCommand } from '../../../src/cli/sandbox-command.js';
import { persistentCa } from '../../../src/sandbox/trust.js';
import { sasToken, secondsFromNow } from '../../support/tokens.js';

interface Ready {
  hostName: string;
  port: number;
  connectionString: string;
  caFile: string;
  devices: number;
  rings: Record<string, number>;
}

/** A query through a client that trusts only the CA the command printed. */
function queryCount(ready: Ready, ca: string): Promise<{ status: number; body: unknown }> {
  const key = /SharedAccessKey=([^;]+)/.exec(ready.connectionString)![1]!;
  const body = JSON.stringify({ query: "SELECT COUNT() AS n FROM devices WHERE tags.ring = 'pilot'" });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: ready.hostName,
        port: ready.port,
        method: 'POST',
        path: '/devices/query?api-version=2021-04-12',
        ca,
        agent: false,
        headers: {
          authorization: sasToken(ready.hostName, 'iothubowner', key, secondsFromNow(60)),
          'content-type': 'application/json; charset=utf-8',
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const caDir = mkdtempSync(join(tmpdir(), 'sandbox-command-ca-'));
afterAll(() => rmSync(caDir, { recursive: true, force: true }));

test('serves a ring fleet, prints one JSON line, stops on request', async () => {
  const lines: string[] = [];
  const errors: string[] = [];
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const run = runSandboxCommand(
    ['--devices', '10', '--rings', 'canary=2,pilot=3,fleet=5', '--time-scale', '60'],
    { log: (line) => lines.push(line), error: (line) => errors.push(line) },
    // A CA of its own, in a folder of the test's, like the command's default one in the temp directory.
    { untilStopped: stopped, ca: () => persistentCa(caDir) },
  );
  while (lines.length === 0 && errors.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(lines).toHaveLength(1);
  const ready = JSON.parse(lines[0]!) as Ready;
  expect(ready).toMatchObject({ port: 443, devices: 10, rings: { canary: 2, pilot: 3, fleet: 5 } });
  expect(ready.hostName).toMatch(/^127\.0\.0\.\d+$/);
  expect(ready.connectionString).toMatch(
    new RegExp(
      `^HostName=${ready.hostName.replace(/\./g, '\\.')};SharedAccessKeyName=iothubowner;SharedAccessKey=`,
    ),
  );

  const ca = readFileSync(ready.caFile, 'utf8');
  expect(await queryCount(ready, ca)).toEqual({ status: 200, body: [{ n: 3 }] });

  stop();
  expect(await run).toBe(0);
  expect(errors.at(-1)).toBe('sandbox hub stopped');
  await expect(queryCount(ready, ca)).rejects.toThrow(/ECONNREFUSED/);
  // The CA outlives the hub, so clients keep trusting the next sandbox.
  expect(ready.caFile).toBe(join(caDir, 'ca.pem'));
  expect(existsSync(ready.caFile)).toBe(true);
});
