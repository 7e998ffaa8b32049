// `ml-to-iot-edge run` outside Actions: the same pipeline from flags and ML_TO_IOT_EDGE_* variables,
// printing the job summary's story as text (Markdown is for workflows) and then the outputs. A plan,
// so nothing is written.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { main } from '../../../src/cli/main.js';
import type { SandboxHub } from '../../../src/sandbox/index.js';
import { NEW_IMAGE } from '../rollout/support.js';
import { QUICK_RINGS, startReleaseHub } from './support.js';

let hub: SandboxHub;

beforeAll(async () => {
  ({ hub } = await startReleaseHub());
});

afterAll(() => hub?.stop());

async function cli(argv: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (line) => out.push(line), error: (line) => err.push(line), env });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('ml-to-iot-edge run', () => {
  test('flags and environment variables, the summary as text, no write for a plan', async () => {
    const writes = hub.counters().writes;
    const run = await cli(
      ['run', '--app', 'vision', '--release', 'v1.2.0', '--command', 'plan', '--image-ref', NEW_IMAGE],
      { ML_TO_IOT_EDGE_IOTHUB_CONNECTION_STRING: hub.connectionString, ML_TO_IOT_EDGE_RINGS: QUICK_RINGS },
    );
    expect(run.stderr).not.toContain('error:');
    expect(run.code).toBe(0);
    expect(hub.counters().writes).toBe(writes);
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'ml-to-iot-edge: vision release 1.2.0',
      'Trigger: manual run',
      'Lineage: deployment vision-1_2_0',
      '- registration and build skipped: plan is a rollout command',
      '',
      'Plan for vision-1_2_0',
    ]);
    // Text for a terminal: the job summary's Markdown stays in the workflow.
    expect(run.stdout).not.toMatch(/^#|\|---|`/m);
    expect(run.stdout).toContain('"state": "planned"');
    expect(run.stdout).not.toContain(hub.connectionString);
  });

  test('every input problem at once, exit 2', async () => {
    const run = await cli(['run', '--app', 'vision', '--release', 'latest', '--rings', 'rings: []'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/'release': 'latest' is not a semantic version/);
    expect(run.stderr).toMatch(/'iothub-host-name': no IoT Hub to roll out to/);
  });
});
