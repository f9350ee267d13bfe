// Parses an RFC 4515 filter string into ldapts Filter objects. ldapts' own parser turns `\XX`
// escapes into one character per byte, which corrupts UTF-8 and binary values; this one decodes
// escapes to bytes and keeps them bytes.
import {
  AndFilter,
  ApproximateFilter,
  EqualityFilter,
  ExtensibleFilter,
  type Filter,
  GreaterThanEqualsFilter,
  LessThanEqualsFilter,
  NotFilter,
  OrFilter,
  PresenceFilter,
  SubstringFilter,
} from 'ldapts';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const DESCRIPTION = /^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)(?:;[A-Za-z0-9-]+)*$/;

export class FilterSyntaxError extends Error {}

export function parseFilter(text: string): Filter {
  const p = { s: text, i: 0 };
  const f = parseOne(p);
  if (p.i !== text.length) fail(p, 'trailing characters');
  return f;
}

/** Checks a configured filter; returns an error message or null. */
export function filterError(text: string): string | null {
  try {
    parseFilter(text);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

interface P {
  s: string;
  i: number;
}

function fail(p: P, why: string): never {
  throw new FilterSyntaxError(`invalid LDAP filter at ${p.i}: ${why}`);
}

function parseOne(p: P): Filter {
  if (p.s[p.i] !== '(') fail(p, "expected '('");
  p.i++;
  const c = p.s[p.i];
  let f: Filter;
  if (c === '&' || c === '|') {
    p.i++;
    const filters: Filter[] = [];
    while (p.s[p.i] === '(') filters.push(parseOne(p));
    f = c === '&' ? new AndFilter({ filters }) : new OrFilter({ filters });
  } else if (c === '!') {
    p.i++;
    f = new NotFilter({ filter: parseOne(p) });
  } else {
    f = parseItem(p);
  }
  if (p.s[p.i] !== ')') fail(p, "expected ')'");
  p.i++;
  return f;
}

function parseItem(p: P): Filter {
  const start = p.i;
  while (p.i < p.s.length && !'=~<>:()'.includes(p.s[p.i]!)) p.i++;
  const attribute = p.s.slice(start, p.i);
  const op = p.s[p.i];
  if (op === ':') return parseExtensible(p, attribute);
  if (!DESCRIPTION.test(attribute)) fail(p, `invalid attribute ${JSON.stringify(attribute)}`);
  if (op === '~' || op === '>' || op === '<') {
    if (p.s[p.i + 1] !== '=') fail(p, "expected '='");
    p.i += 2;
    const value = text(p, readValue(p, false)[0]!);
    if (op === '~') return new ApproximateFilter({ attribute, value });
    return op === '>'
      ? new GreaterThanEqualsFilter({ attribute, value })
      : new LessThanEqualsFilter({ attribute, value });
  }
  if (op !== '=') fail(p, "expected '='");
  p.i++;
  const parts = readValue(p, true);
  if (parts.length === 1) {
    const bytes = parts[0]!;
    const decoded = tryText(bytes);
    return new EqualityFilter({ attribute, value: decoded ?? Buffer.from(bytes) });
  }
  if (parts.length === 2 && parts[0]!.length === 0 && parts[1]!.length === 0)
    return new PresenceFilter({ attribute });
  const strings = parts.map((b) => text(p, b));
  return new SubstringFilter({
    attribute,
    initial: strings[0]!,
    final: strings.at(-1)!,
    any: strings.slice(1, -1).filter((s) => s),
  });
}

function parseExtensible(p: P, attribute: string): Filter {
  // attr[:dn][:rule]:=value  or  [:dn]:rule:=value
  const end = p.s.indexOf(':=', p.i);
  if (end < 0) fail(p, "extensible match without ':='");
  const fields = p.s.slice(p.i + 1, end).split(':');
  p.i = end + 2;
  let dnAttributes = false;
  if (fields[0]?.toLowerCase() === 'dn') {
    dnAttributes = true;
    fields.shift();
  }
  const rule = fields.shift() ?? '';
  if (fields.length > 0 || (rule === '' && fields.length === 0 && attribute === ''))
    fail(p, 'malformed extensible match');
  if (rule && !/^[0-9]+(?:\.[0-9]+)+$|^[A-Za-z][A-Za-z0-9-]*$/.test(rule))
    fail(p, `invalid matching rule ${rule}`);
  if (attribute && !DESCRIPTION.test(attribute)) fail(p, `invalid attribute ${JSON.stringify(attribute)}`);
  const value = text(p, readValue(p, false)[0]!);
  return new ExtensibleFilter({ matchType: attribute, rule, value, dnAttributes });
}

/** Reads an escaped assertion value up to ')'; splits on unescaped '*' when allowed. */
function readValue(p: P, allowStar: boolean): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let bytes: number[] = [];
  while (p.i < p.s.length && p.s[p.i] !== ')') {
    const c = p.s[p.i]!;
    if (c === '(' || c === '\0') fail(p, `unescaped ${JSON.stringify(c)} in value`);
    if (c === '*') {
      if (!allowStar) fail(p, "unescaped '*' in value");
      parts.push(Uint8Array.from(bytes));
      bytes = [];
      p.i++;
    } else if (c === '\\') {
      const hex = p.s.slice(p.i + 1, p.i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) fail(p, 'bad escape');
      bytes.push(Number.parseInt(hex, 16));
      p.i += 3;
    } else {
      const cp = p.s.codePointAt(p.i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(ch, 'utf8'));
      p.i += ch.length;
    }
  }
  parts.push(Uint8Array.from(bytes));
  return parts;
}

function tryText(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

function text(p: P, bytes: Uint8Array): string {
  const s = tryText(bytes);
  if (s === null) fail(p, 'value is not UTF-8');
  return s;
}
