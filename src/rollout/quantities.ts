// Durations (`90s`, `10m`, `1h30m`) and shares (`0.95`, `95%`) as the ring config writes them, and
// the way gate reasons print them back.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * Milliseconds of a duration such as `90s`, `10m`, `1h30m` or `500ms`; `0` alone is zero. A bare
 * number is refused: nobody can tell whether `600` means seconds or milliseconds.
 */
export function parseDuration(value: unknown): number {
  if (value === 0 || value === '0') return 0;
  if (typeof value === 'number') {
    throw new Error(`${value} has no unit: write it as '${value}s' or '${value}m'`);
  }
  if (typeof value !== 'string') throw new Error(`expected a duration such as '10m', got ${describe(value)}`);
  const text = value.trim().toLowerCase();
  if (!DURATION.test(text)) {
    throw new Error(`'${value}' is not a duration: use a number and a unit, e.g. '90s', '10m', '1h30m'`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) total += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(total);
}

/** `4m 30s`, `1h`, `45s`, `0s`: whole seconds, largest units first. */
export function formatDuration(ms: number): string {
  let seconds = Math.max(0, Math.ceil(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds}s`);
  return parts.join(' ');
}

/**
 * A share between 0 and 1 from `0.95`, `'0.95'` or `'95%'`. Numbers above 1 are refused rather than
 * read as percents, so `95` and `0.95` can never be confused.
 */
export function parseShare(value: unknown): number {
  let share: number;
  if (typeof value === 'number') {
    share = value;
  } else if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*%\s*$/.test(value)) {
    share = Number(value.trim().slice(0, -1).trim()) / 100;
  } else if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) {
    share = Number(value);
  } else {
    throw new Error(`expected a share such as 0.95 or '95%', got ${describe(value)}`);
  }
  if (share < 0) throw new Error(`${describe(value)} is negative: use a share from 0 to 1 or 0% to 100%`);
  if (share > 1) {
    const hint = typeof value === 'number' ? `: write '${value}%' or ${value / 100}` : '';
    throw new Error(`${describe(value)} is more than 100%${hint}`);
  }
  return share;
}

/** `95%`, `99.5%`, `0%`. */
export function formatPercent(share: number): string {
  return `${Number((share * 100).toFixed(2))}%`;
}

/** `1 device`, `3 devices`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}
