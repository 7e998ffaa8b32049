// The report as the job summary (Markdown) and the log (text) show it, and the rings-report output.
import { describe, expect, test } from '@jest/globals';
import type { RolloutResult } from '../../../../src/rollout/engine-types.js';
import {
  renderReportMarkdown,
  renderReportText,
  ringsReportJson,
  sentences,
} from '../../../../src/rollout/report.js';

function result(fields: Partial<RolloutResult> = {}): RolloutResult {
  return {
    command: 'auto',
    app: 'vision',
    release: '1.1.0',
    deploymentId: 'vision-1_1_0',
    priority: 11,
    hostName: 'hub.azure-devices.net',
    state: 'completed',
    ringIndex: 2,
    ringName: 'fleet',
    rings: [
      {
        index: 0,
        name: 'canary',
        condition: "tags.ring='canary'",
        targeted: 5,
        applied: 5,
        succeeded: 5,
        failed: 0,
        unhealthy: 0,
        durationMs: 430_000,
        verdict: 'pass',
        reasons: ['5/5 devices healthy'],
      },
      { index: 1, name: 'pilot', condition: 'x', verdict: 'passed-earlier', reasons: [] },
      {
        index: 2,
        name: 'fleet',
        condition: 'y',
        targeted: 200,
        applied: 200,
        succeeded: 199,
        failed: 1,
        unhealthy: 0,
        durationMs: 480_000,
        verdict: 'pass',
        reasons: [],
      },
    ],
    lineage: {
      commit: 'c0ffee1234567890abcd',
      modelName: 'vision',
      modelVersion: '7',
      runUrl: 'https://github.com/acme/vision/actions/runs/42',
    },
    notes: [],
    calls: { reads: 2, writes: 6, queries: 120, retries: 1 },
    startedAt: 0,
    endedAt: 1_380_000,
    ...fields,
  };
}

describe('the job summary', () => {
  test('a rings table with counts, durations and verdicts, and the lineage', () => {
    const markdown = renderReportMarkdown(result());
    expect(markdown).toContain('### vision-1_1_0: completed at ring 3 (fleet) ✅');
    expect(markdown).toContain(
      '| # | Ring | Targeted | Applied | Succeeded | Failed | Unhealthy | Duration | Verdict |',
    );
    expect(markdown).toContain('| 1 | canary | 5 | 5 | 5 | 0 | 0 | 7m 10s | ✅ pass |');
    expect(markdown).toContain('| 2 | pilot | — | — | — | — | — | — | ✅ passed earlier |');
    expect(markdown).toContain(
      'Lineage: commit `c0ffee123456`, model `vision` version `7`, [workflow run](https://github.com/acme/vision/actions/runs/42)',
    );
    expect(markdown).toContain('- **canary**: 5/5 devices healthy.');
    expect(markdown).toContain('Hub calls: 6 writes, 120 queries, 2 reads, 1 retried; took 23m.');
  });

  test('a rollback: the failure first, then the rollback section', () => {
    const markdown = renderReportMarkdown(
      result({
        state: 'rolled-back',
        failure: 'Release vision-1_1_0 was rolled back: ring 1 (canary) failed its gate.',
        rollback: {
          reason: 'ring 1 failed',
          fallbackId: 'vision-1_0_0',
          devicesLeft: 5,
          withoutFallback: 0,
          verified: true,
          durationMs: 60_000,
          details: ['Verified in 1m.'],
        },
      }),
    );
    expect(markdown).toContain('### vision-1_1_0: rolled back ❌');
    expect(markdown).toContain('**Release vision-1_1_0 was rolled back: ring 1 (canary) failed its gate.**');
    expect(markdown).toContain('- 5 devices left the release; `vision-1_0_0` took them back — verified ✅');
  });

  test('cells cannot break the table', () => {
    const markdown = renderReportMarkdown(result({ notes: ['a | b'] }));
    expect(markdown).toContain('- a \\| b');
  });
});

describe('the text report', () => {
  test('the same rows, aligned', () => {
    const text = renderReportText(result());
    expect(text).toMatch(
      /^#\s+Ring\s+Targeted\s+Applied\s+Succeeded\s+Failed\s+Unhealthy\s+Duration\s+Verdict$/m,
    );
    expect(text).toMatch(/^3\s+fleet\s+200\s+200\s+199\s+1\s+0\s+8m\s+pass$/m);
    expect(text).toContain(
      'Lineage: commit c0ffee123456, model vision version 7, https://github.com/acme/vision/actions/runs/42',
    );
  });
});

test('rings-report: one entry per ring, unknown counts as null', () => {
  const rings = JSON.parse(ringsReportJson(result())) as Array<Record<string, unknown>>;
  expect(rings[0]).toEqual({
    ring: 1,
    name: 'canary',
    targeted: 5,
    applied: 5,
    succeeded: 5,
    failed: 0,
    unhealthy: 0,
    duration: '7m 10s',
    durationMs: 430_000,
    verdict: 'pass',
  });
  expect(rings[1]).toMatchObject({ targeted: null, duration: null, verdict: 'passed-earlier' });
});

test('reasons read as sentences', () => {
  expect(sentences(['5 devices failed.', 'edge-1: exit code 1'])).toBe(
    '5 devices failed. edge-1: exit code 1.',
  );
});
