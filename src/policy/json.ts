// A strict JSON parser for policy text. JSON.parse silently keeps the last of two equal keys and
// reports no positions; IAM rejects duplicate keys, and authors need to know where the problem is.
// Objects are built without a prototype so a "__proto__" key is plain data.

import type { PolicyError } from './types.ts';

export type Json = string | number | boolean | null | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export type JsonParseResult =
  | { ok: true; value: Json; errors: PolicyError[] }
  | { ok: false; errors: PolicyError[] };

const MAX_DEPTH = 64;

class SyntaxFailure {
  message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/** Formats a JSON path the way errors show it: `Statement[2].Condition.DateLessThan.aws:TokenIssueTime`. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  // Keys are shown as written, except those that would make the path ambiguous or empty.
  if (key === '' || /[[\]"]/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** Quotes text from a policy for a message, shortened so a huge value cannot flood the output. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

/** The path of the document itself. */
export const ROOT = '$';

export function displayPath(path: string): string {
  return path === '' ? ROOT : path;
}

/**
 * Parses `text`; duplicate keys are reported (with the path of the duplicate) but do not stop parsing,
 * so the rest of the document can still be validated. A syntax error stops parsing.
 */
export function parseJson(text: string): JsonParseResult {
  const errors: PolicyError[] = [];
  let pos = 0;
  let path = '';

  const fail = (message: string): never => {
    let line = 1;
    let col = 1;
    for (let i = 0; i < pos && i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    throw new SyntaxFailure(`invalid JSON at line ${line} column ${col}: ${message}`);
  };

  const skipWs = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) pos++;
      else break;
    }
  };

  const parseString = (): string => {
    // pos is at the opening quote
    pos++;
    let out = '';
    let start = pos;
    while (true) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 34) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c === 92) {
        out += text.slice(start, pos);
        pos++;
        const e = text[pos];
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = text.slice(pos + 1, pos + 5);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape');
            out += String.fromCharCode(Number.parseInt(hex, 16));
            pos += 4;
            break;
          }
          default:
            fail('invalid escape in string');
        }
        pos++;
        start = pos;
        continue;
      }
      pos++;
    }
  };

  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

  const parseValue = (depth: number): Json => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    skipWs();
    if (pos >= text.length) fail('unexpected end of input');
    const c = text[pos];
    if (c === '{') return parseObject(depth);
    if (c === '[') return parseArray(depth);
    if (c === '"') return parseString();
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m) {
      pos += m[0].length;
      return Number(m[0]);
    }
    return fail(`unexpected character ${JSON.stringify(c)}`);
  };

  const parseObject = (depth: number): JsonObject => {
    pos++;
    const obj: JsonObject = Object.create(null);
    const seen = new Set<string>();
    const parentPath = path;
    skipWs();
    if (text[pos] === '}') {
      pos++;
      return obj;
    }
    while (true) {
      skipWs();
      if (text[pos] !== '"') fail('expected a property name in double quotes');
      const key = parseString();
      skipWs();
      if (text[pos] !== ':') fail("expected ':' after property name");
      pos++;
      path = childPath(parentPath, key);
      if (seen.has(key)) errors.push({ path, message: `duplicate key ${quote(key)}` });
      seen.add(key);
      obj[key] = parseValue(depth + 1);
      path = parentPath;
      skipWs();
      const d = text[pos];
      if (d === ',') {
        pos++;
        continue;
      }
      if (d === '}') {
        pos++;
        return obj;
      }
      fail("expected ',' or '}'");
    }
  };

  const parseArray = (depth: number): Json[] => {
    pos++;
    const arr: Json[] = [];
    const parentPath = path;
    skipWs();
    if (text[pos] === ']') {
      pos++;
      return arr;
    }
    while (true) {
      path = childPath(parentPath, arr.length);
      arr.push(parseValue(depth + 1));
      path = parentPath;
      skipWs();
      const d = text[pos];
      if (d === ',') {
        pos++;
        continue;
      }
      if (d === ']') {
        pos++;
        return arr;
      }
      fail("expected ',' or ']'");
    }
  };

  try {
    // A leading byte order mark is tolerated, as editors add it.
    if (text.charCodeAt(0) === 0xfeff) pos = 1;
    const value = parseValue(0);
    skipWs();
    if (pos < text.length) fail('unexpected text after the JSON value');
    return { ok: true, value, errors };
  } catch (e) {
    if (e instanceof SyntaxFailure) {
      return { ok: false, errors: [...errors, { path: displayPath(path), message: e.message }] };
    }
    throw e;
  }
}

export function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
