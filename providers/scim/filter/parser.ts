import { invalidFilter, invalidPath } from '../../../src/scim/errors.ts';
import {
  type AttrPath,
  COMPARE_OPS,
  type CompareOp,
  type CompValue,
  type Filter,
  type PatchPath,
} from '../../../src/scim/filter-ast.ts';
import { type Token, tokenize } from './lexer.ts';

/**
 * Recursive-descent parser for SCIM filters (RFC 7644 §3.4.2.2), precedence `not` > `and` > `or`:
 *
 *   filter    = or
 *   or        = and *("or" and)
 *   and       = unary *("and" unary)
 *   unary     = "not" "(" filter ")" / "(" filter ")" / attrExp / valuePath
 *   valuePath = attrPath "[" filter "]"            (no valuePath inside; sub-attribute paths only)
 *   attrExp   = attrPath "pr" / attrPath compareOp compValue
 *
 * Operators and keywords are case-insensitive. Depth and size are bounded, so a hostile filter
 * costs a 400, never a stack overflow.
 */
export const MAX_FILTER_DEPTH = 32;
export const MAX_FILTER_TERMS = 100;

const NAME = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/;

export function parseFilter(text: string): Filter {
  const parser = new Parser(tokenize(text));
  if (parser.peek().type === 'end') throw invalidFilter('empty filter');
  const filter = parser.filter(0, false);
  parser.expectEnd();
  return filter;
}

/** A PATCH `path`: `attrPath` or `attrPath[valFilter]` with an optional `.subAttr` after it. */
export function parsePatchPath(text: string): PatchPath {
  try {
    const parser = new Parser(tokenize(text));
    const path = parser.attrPath();
    let filter: Filter | undefined;
    let sub: string | undefined;
    if (parser.peek().type === '[') {
      if (path.sub) throw invalidFilter(`"${path.attr}.${path.sub}" cannot have a value filter`);
      parser.next();
      filter = parser.filter(1, true);
      parser.expect(']');
      const next = parser.peek();
      if (next.type === 'sub') {
        parser.next();
        sub = checkName(next.text, next.at);
      }
    }
    parser.expectEnd();
    return { path, filter, sub };
  } catch (error) {
    // In a PATCH, a malformed path is invalidPath (a malformed value filter inside it too).
    if ((error as { code?: string }).code === 'scim.invalidFilter')
      throw invalidPath((error as Error).message);
    throw error;
  }
}

/** Parses an attribute path alone (`attributes=`, `sortBy=`). */
export function parseAttrPath(text: string): AttrPath {
  const parser = new Parser(tokenize(text));
  const path = parser.attrPath();
  parser.expectEnd();
  return path;
}

function checkName(name: string, at: number): string {
  if (!NAME.test(name)) throw invalidFilter(`"${name}" at ${at} is not an attribute name`);
  return name;
}

/** `urn:…:User:name.givenName` → uri `urn:…:User`, attr `name`, sub `givenName`. */
function splitPath(text: string, at: number): AttrPath {
  const colon = text.lastIndexOf(':');
  const uri = colon >= 0 ? text.slice(0, colon) : undefined;
  if (uri !== undefined && !/^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[A-Za-z0-9()+,\-.:=@;$_!*'%/?#]+$/i.test(uri))
    throw invalidFilter(`"${uri}" at ${at} is not a schema URN`);
  const rest = colon >= 0 ? text.slice(colon + 1) : text;
  const parts = rest.split('.');
  if (parts.length > 2) throw invalidFilter(`"${text}" at ${at}: at most one sub-attribute`);
  return {
    ...(uri !== undefined ? { uri } : {}),
    attr: checkName(parts[0]!, at),
    ...(parts[1] !== undefined ? { sub: checkName(parts[1], at) } : {}),
  };
}

class Parser {
  private index = 0;
  private terms = 0;
  private readonly tokens: Token[];

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  peek(): Token {
    return this.tokens[this.index]!;
  }

  next(): Token {
    const token = this.tokens[this.index]!;
    if (token.type !== 'end') this.index++;
    return token;
  }

  expect(type: Token['type']): Token {
    const token = this.next();
    if (token.type !== type)
      throw invalidFilter(`expected "${type}" at ${token.at}, found ${describe(token)}`);
    return token;
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.type !== 'end') throw invalidFilter(`unexpected ${describe(token)} at ${token.at}`);
  }

  private keyword(word: string): boolean {
    const token = this.peek();
    if (token.type === 'word' && token.text.toLowerCase() === word) {
      this.next();
      return true;
    }
    return false;
  }

  filter(depth: number, inValuePath: boolean): Filter {
    if (depth > MAX_FILTER_DEPTH) throw invalidFilter(`filter nested deeper than ${MAX_FILTER_DEPTH}`);
    let left = this.and(depth, inValuePath);
    while (this.keyword('or')) left = { kind: 'or', left, right: this.and(depth, inValuePath) };
    return left;
  }

  private and(depth: number, inValuePath: boolean): Filter {
    let left = this.unary(depth, inValuePath);
    while (this.keyword('and')) left = { kind: 'and', left, right: this.unary(depth, inValuePath) };
    return left;
  }

  private unary(depth: number, inValuePath: boolean): Filter {
    if (++this.terms > MAX_FILTER_TERMS) throw invalidFilter(`more than ${MAX_FILTER_TERMS} terms`);
    const token = this.peek();
    if (
      token.type === 'word' &&
      token.text.toLowerCase() === 'not' &&
      this.tokens[this.index + 1]?.type === '('
    ) {
      this.next();
      this.next();
      const filter = this.filter(depth + 1, inValuePath);
      this.expect(')');
      return { kind: 'not', filter };
    }
    if (token.type === '(') {
      this.next();
      const filter = this.filter(depth + 1, inValuePath);
      this.expect(')');
      return filter;
    }
    const path = this.attrPath();
    if (this.peek().type === '[') {
      if (inValuePath) throw invalidFilter(`a value filter cannot hold another one (at ${this.peek().at})`);
      if (path.sub) throw invalidFilter(`"${path.attr}.${path.sub}" cannot have a value filter`);
      this.next();
      const filter = this.filter(depth + 1, true);
      this.expect(']');
      return { kind: 'valuePath', path, filter };
    }
    const op = this.next();
    if (op.type !== 'word') throw invalidFilter(`expected an operator at ${op.at}, found ${describe(op)}`);
    const name = op.text.toLowerCase();
    if (name === 'pr') return { kind: 'present', path };
    if (!(COMPARE_OPS as readonly string[]).includes(name))
      throw invalidFilter(`unknown operator "${op.text}" at ${op.at}`);
    return { kind: 'compare', path, op: name as CompareOp, value: this.value() };
  }

  attrPath(): AttrPath {
    const token = this.next();
    if (token.type !== 'word')
      throw invalidFilter(`expected an attribute at ${token.at}, found ${describe(token)}`);
    return splitPath(token.text, token.at);
  }

  private value(): CompValue {
    const token = this.next();
    if (token.type === 'string' || token.type === 'number') return token.value;
    if (token.type === 'word') {
      // true, false and null are lowercase in JSON; senders write them as such.
      if (token.text === 'true') return true;
      if (token.text === 'false') return false;
      if (token.text === 'null') return null;
    }
    throw invalidFilter(
      `expected a value (string, number, true, false, null) at ${token.at}, found ${describe(token)}`,
    );
  }
}

function describe(token: Token): string {
  switch (token.type) {
    case 'end':
      return 'the end';
    case 'word':
    case 'sub':
      return `"${token.text}"`;
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    default:
      return `"${token.type}"`;
  }
}
