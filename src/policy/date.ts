// Dates for the Date operators: "W3C implementations of the ISO 8601 date formats or epoch (UNIX)
// time" (IAM User Guide, "Condition operators"). Parsed to milliseconds since the epoch.
//
// W3C profile: YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.s]]TZD with TZD = Z or ±hh:mm.
// Also accepted: the basic form 20130930T231548Z (used in the IAM documentation), a missing TZD
// (read as UTC), and epoch seconds: any run of digits other than exactly four, which is a year.

const EXTENDED =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;
const BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/;
const EPOCH = /^\d{1,15}$/;

/** Milliseconds since the epoch, or NaN when `s` is not a date. */
export function parseDate(s: string): number {
  if (EPOCH.test(s) && s.length !== 4) return Number(s) * 1000;
  const m = EXTENDED.exec(s) ?? BASIC.exec(s);
  if (!m) return Number.NaN;
  const year = Number(m[1]);
  const month = m[2] === undefined ? 1 : Number(m[2]);
  const day = m[3] === undefined ? 1 : Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  if (hour > 23 || minute > 59 || second > 59) return Number.NaN;
  let offset = 0;
  const tz = m[8];
  if (tz !== undefined && tz !== 'Z') {
    const digits = tz.replace(':', '');
    const oh = Number(digits.slice(1, 3));
    const om = Number(digits.slice(3, 5));
    if (oh > 23 || om > 59) return Number.NaN;
    offset = (tz[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, ms);
  return utc.getTime() - offset;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// Request values repeat across statements of one decision (aws:CurrentTime), so keep the last one.
let lastText = '';
let lastValue = Number.NaN;

/** parseDate with a one-entry cache, for request values. */
export function parseRequestDate(s: string): number {
  if (s !== lastText) {
    lastValue = parseDate(s);
    lastText = s;
  }
  return lastValue;
}
