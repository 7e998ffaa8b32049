// ISO-8601 timestamps for twins. Many twins change at the same sandbox instant (a batch of agent
// reports, a bulk add), so the text of the last instant is reused: one string shared, not one each.
let lastMs = Number.NaN;
let lastText = '';

export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastText = new Date(ms).toISOString();
  }
  return lastText;
}
