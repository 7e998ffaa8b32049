// Small Markdown builders for job summaries.

/** A titled two-column table of `[label, value]` rows, as the stage summaries show facts. */
export function factsTable(title: string, rows: readonly (readonly [string, string])[]): string {
  return [title, '', '| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), ''].join('\n');
}
