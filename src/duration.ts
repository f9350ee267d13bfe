/** Durations in configuration: `90`, `90s`, `15m`, `1h`, `7d`, `1h30m` (seconds when unitless). */
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;

/** Parses a duration into milliseconds, or returns undefined when the text is not one. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  const input = text.trim();
  if (/^\d+$/.test(input)) return Number(input) * 1000;
  if (input === '') return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let match = PART.exec(input); match; match = PART.exec(input)) {
    total += Number(match[1]) * UNIT_SECONDS[match[2]!]! * 1000;
    consumed = PART.lastIndex;
  }
  return consumed === input.length ? Math.round(total) : undefined;
}

export function formatDuration(ms: number): string {
  for (const [unit, seconds] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (ms % (seconds * 1000) === 0 && ms >= seconds * 1000) return `${ms / (seconds * 1000)}${unit}`;
  }
  return `${ms / 1000}s`;
}
