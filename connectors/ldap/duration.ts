// "60s", "6h", "500ms" or a number of milliseconds.
const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : null;
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  return m ? Number(m[1]) * UNIT[m[2]!]! : null;
}
