// The rollout result as people read it: one description of the report, rendered as Markdown for the
// job summary and as text for the log, the CLI and the demo (the same rows, the same words), plus the
// `rings-report` output. Nothing here can hold a secret: the result carries ids, counts and lineage.
import type { ReleaseLine, RingReport, RingVerdict, RolloutResult } from './engine-types.js';
import { renderPlanMarkdown, renderPlanText } from './plan.js';
import { formatDuration } from './quantities.js';

const VERDICTS: Record<RingVerdict, { icon: string; word: string }> = {
  pass: { icon: '✅', word: 'pass' },
  fail: { icon: '❌', word: 'FAIL' },
  waiting: { icon: '⏳', word: 'waiting' },
  'passed-earlier': { icon: '✅', word: 'passed earlier' },
  'not-reached': { icon: '—', word: 'not reached' },
};

/** Reasons as one paragraph: each ends with a full stop (device samples do not), joined by spaces. */
export function sentences(reasons: readonly string[]): string {
  return reasons.map((reason) => (/[.!?]$/.test(reason) ? reason : `${reason}.`)).join(' ');
}

/** The `rings-report` output: one entry per ring. */
export function ringsReportJson(result: RolloutResult): string {
  return JSON.stringify(
    result.rings.map((ring) => ({
      ring: ring.index + 1,
      name: ring.name,
      targeted: ring.targeted ?? null,
      applied: ring.applied ?? null,
      succeeded: ring.succeeded ?? null,
      failed: ring.failed ?? null,
      unhealthy: ring.unhealthy ?? null,
      duration: ring.durationMs === undefined ? null : formatDuration(ring.durationMs),
      durationMs: ring.durationMs ?? null,
      verdict: ring.verdict,
    })),
  );
}

export function headline(result: RolloutResult): string {
  const subject = result.deploymentId ?? `app ${result.app}`;
  switch (result.state) {
    case 'planned':
      return `Plan for ${subject}`;
    case 'held':
      return `${subject}: held after ring ${(result.ringIndex ?? 0) + 1} (${result.ringName})`;
    case 'rolled-back':
      return `${subject}: rolled back`;
    case 'none':
      return `Rollout status of ${subject}`;
    default:
      return `${subject}: ${result.state}${result.ringName ? ` at ring ${(result.ringIndex ?? 0) + 1} (${result.ringName})` : ''}`;
  }
}

function count(value: number | undefined): string {
  return value === undefined ? '—' : String(value);
}

function ringCells(ring: RingReport): string[] {
  return [
    String(ring.index + 1),
    ring.name,
    count(ring.targeted),
    count(ring.applied),
    count(ring.succeeded),
    count(ring.failed),
    count(ring.unhealthy),
    ring.durationMs === undefined ? '—' : formatDuration(ring.durationMs),
  ];
}

function lineage(
  result: RolloutResult,
  code: (text: string) => string,
  link: (text: string, url: string) => string,
): string {
  const { commit, modelName, modelVersion, runUrl } = result.lineage;
  const parts: string[] = [];
  if (commit) parts.push(`commit ${code(commit.slice(0, 12))}`);
  if (modelName || modelVersion)
    parts.push(`model ${code(modelName ?? '?')} version ${code(modelVersion ?? '?')}`);
  if (runUrl) parts.push(link('workflow run', runUrl));
  return parts.join(', ');
}

function identity(result: RolloutResult, code: (text: string) => string): string {
  const parts = [`app ${code(result.app)}`];
  if (result.release) parts.push(`release ${code(result.release)}`);
  if (result.deploymentId) parts.push(`deployment ${code(result.deploymentId)}`);
  if (result.priority !== undefined) parts.push(`priority ${result.priority}`);
  parts.push(`hub ${code(result.hostName)}`);
  parts.push(`command ${code(result.command)}`);
  return parts.join(' · ');
}

function releaseCounts(line: ReleaseLine): string {
  const c = line.counts;
  if (!c) return '—';
  return `${c.targeted}/${c.applied}/${c.succeeded}/${c.failed} (${c.source})`;
}

function releaseCells(
  line: ReleaseLine,
  code: (text: string) => string,
  link: (text: string, url: string) => string,
): string[] {
  return [
    line.release,
    code(line.deploymentId),
    String(line.priority),
    line.state,
    `${line.ringNumber}/${line.ringCount} ${line.ringName}`,
    line.commit ? code(line.commit.slice(0, 12)) : '—',
    line.modelName || line.modelVersion ? `${line.modelName ?? '?'} ${line.modelVersion ?? '?'}` : '—',
    line.runUrl ? link('run', line.runUrl) : '—',
    releaseCounts(line),
  ];
}

const RING_HEADERS = [
  '#',
  'Ring',
  'Targeted',
  'Applied',
  'Succeeded',
  'Failed',
  'Unhealthy',
  'Duration',
  'Verdict',
];
const RELEASE_HEADERS = [
  'Release',
  'Deployment',
  'Priority',
  'State',
  'Ring',
  'Commit',
  'Model',
  'Run',
  'Targeted/applied/succeeded/failed',
];

function callsLine(result: RolloutResult): string {
  const { writes, queries, reads, retries } = result.calls;
  return `Hub calls: ${writes} writes, ${queries} queries, ${reads} reads${retries ? `, ${retries} retried` : ''}; took ${formatDuration(result.endedAt - result.startedAt)}.`;
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function table(headers: string[], rows: string[][], align: string[]): string[] {
  return [
    `| ${headers.join(' | ')} |`,
    `|${align.join('|')}|`,
    ...rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`),
  ];
}

/** The job summary. */
export function renderReportMarkdown(result: RolloutResult): string {
  const code = (text: string) => `\`${text.replaceAll('`', "'")}\``;
  const link = (text: string, url: string) => `[${text}](${url})`;
  const icon = result.failure ? '❌' : result.state === 'completed' ? '✅' : '';
  const lines = [`### ${headline(result)} ${icon}`.trimEnd(), '', identity(result, code)];
  const from = lineage(result, code, link);
  if (from) lines.push('', `Lineage: ${from}`);
  if (result.failure) lines.push('', `**${escapeCell(result.failure)}**`);
  if (result.plan) {
    lines.push('', renderPlanMarkdown(result.plan));
  } else if (result.deploymentId) {
    const rows = result.rings.map((ring) => [
      ...ringCells(ring),
      `${VERDICTS[ring.verdict].icon} ${VERDICTS[ring.verdict].word}`,
    ]);
    lines.push(
      '',
      ...table(RING_HEADERS, rows, ['---:', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---']),
    );
    const reasons = result.rings.filter((ring) => ring.reasons.length > 0);
    if (reasons.length > 0) {
      lines.push('', ...reasons.map((ring) => `- **${ring.name}**: ${escapeCell(sentences(ring.reasons))}`));
    }
    lines.push(
      '',
      "_Counts are of the release's whole target at that ring (rings 1..k), by direct queries; succeeded = reported success with a healthy model module._",
    );
  }
  if (result.rollback) {
    const rb = result.rollback;
    lines.push('', '#### Rollback', '', `- Why: ${escapeCell(rb.reason)}`);
    lines.push(
      `- ${rb.devicesLeft} devices left the release${rb.fallbackId ? `; ${code(rb.fallbackId)} took them back` : ''} — ${rb.verified ? 'verified ✅' : 'not verified ❌'}`,
    );
    lines.push(...rb.details.map((detail) => `- ${escapeCell(detail)}`));
  }
  if (result.releases && result.releases.length > 0) {
    lines.push('', `#### Releases of ${code(result.app)}`, '');
    lines.push(
      ...table(
        RELEASE_HEADERS,
        result.releases.map((line) => releaseCells(line, code, link)),
        RELEASE_HEADERS.map(() => '---'),
      ),
    );
  }
  if (result.retention) lines.push('', `Retention: ${result.retention.message}`);
  if (result.notes.length > 0) lines.push('', ...result.notes.map((note) => `- ${escapeCell(note)}`));
  lines.push('', callsLine(result));
  return lines.join('\n');
}

function padTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => row[column]!.length)),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [format(headers), ...rows.map(format)];
}

/** The same report as text, for the log, the CLI and the demo. */
export function renderReportText(result: RolloutResult): string {
  const code = (text: string) => text;
  const link = (_text: string, url: string) => url;
  const lines = [headline(result), identity(result, code)];
  const from = lineage(result, code, link);
  if (from) lines.push(`Lineage: ${from}`);
  if (result.plan) {
    lines.push('', renderPlanText(result.plan));
  } else if (result.deploymentId) {
    const rows = result.rings.map((ring) => [...ringCells(ring), VERDICTS[ring.verdict].word]);
    lines.push('', ...padTable(RING_HEADERS, rows));
    for (const ring of result.rings.filter((r) => r.reasons.length > 0))
      lines.push(`  ${ring.name}: ${sentences(ring.reasons)}`);
  }
  if (result.rollback) {
    const rb = result.rollback;
    lines.push('', `Rollback: ${rb.reason}`);
    lines.push(
      `  ${rb.devicesLeft} devices left the release${rb.fallbackId ? `; ${rb.fallbackId} took them back` : ''} (${rb.verified ? 'verified' : 'NOT verified'})`,
    );
    lines.push(...rb.details.map((detail) => `  ${detail}`));
  }
  if (result.releases && result.releases.length > 0) {
    lines.push(
      '',
      `Releases of ${result.app}:`,
      ...padTable(
        RELEASE_HEADERS,
        result.releases.map((line) => releaseCells(line, code, link)),
      ).map((l) => `  ${l}`),
    );
  }
  if (result.retention) lines.push('', `Retention: ${result.retention.message}`);
  if (result.notes.length > 0) lines.push('', ...result.notes.map((note) => `- ${note}`));
  if (result.failure) lines.push('', `FAILED: ${result.failure}`);
  lines.push('', callsLine(result));
  return lines.join('\n');
}
