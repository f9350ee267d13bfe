import { invalidFilter } from '../../../src/scim/errors.ts';

/**
 * Tokens of the SCIM filter and PATCH path grammars. Words are attribute paths, operators and
 * literals alike (the parser decides by position: `eq` is an attribute name before an operator
 * and an operator after a path); strings are JSON strings.
 */
export type Token =
  | { type: 'word'; text: string; at: number }
  | { type: 'string'; value: string; at: number }
  | { type: 'number'; value: number; at: number }
  | { type: '(' | ')' | '[' | ']'; at: number }
  /** `.subAttr` right after `]` (PATCH paths: `emails[type eq "work"].value`). */
  | { type: 'sub'; text: string; at: number }
  | { type: 'end'; at: number };

/** Longer filters are refused before they are read (they would only make SQL bigger). */
export const MAX_FILTER_LENGTH = 4096;

const WORD = /[A-Za-z0-9_:.$-]+/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?(?![A-Za-z0-9_:.$-])/y;
// A JSON string: escapes are checked by JSON.parse below.
const STRING = /"(?:[^"\\]|\\.)*"/y;
const SPACE = /[ \t]+/y;

export function tokenize(text: string): Token[] {
  if (text.length > MAX_FILTER_LENGTH)
    throw invalidFilter(`filter longer than ${MAX_FILTER_LENGTH} characters`);
  const tokens: Token[] = [];
  let at = 0;
  const sticky = (re: RegExp): string | undefined => {
    re.lastIndex = at;
    const match = re.exec(text);
    return match ? match[0] : undefined;
  };
  while (at < text.length) {
    const char = text[at]!;
    const space = sticky(SPACE);
    if (space) {
      at += space.length;
      continue;
    }
    if (char === '(' || char === ')' || char === '[' || char === ']') {
      tokens.push({ type: char, at });
      at++;
      continue;
    }
    if (char === '"') {
      const raw = sticky(STRING);
      if (!raw) throw invalidFilter(`unterminated string at ${at}`);
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw invalidFilter(`invalid string at ${at}`);
      }
      tokens.push({ type: 'string', value: value as string, at });
      at += raw.length;
      continue;
    }
    if (char === '.' && tokens.at(-1)?.type === ']') {
      WORD.lastIndex = at + 1;
      const word = WORD.exec(text)?.[0];
      if (!word) throw invalidFilter(`expected a sub-attribute after "]." at ${at}`);
      tokens.push({ type: 'sub', text: word, at });
      at += 1 + word.length;
      continue;
    }
    const number = /[-\d]/.test(char) ? sticky(NUMBER) : undefined;
    if (number) {
      tokens.push({ type: 'number', value: Number(number), at });
      at += number.length;
      continue;
    }
    const word = sticky(WORD);
    if (word) {
      tokens.push({ type: 'word', text: word, at });
      at += word.length;
      continue;
    }
    throw invalidFilter(`unexpected character ${JSON.stringify(char)} at ${at}`);
  }
  tokens.push({ type: 'end', at });
  return tokens;
}
