// Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'fallback'}` and the escapes
// `${*}`, `${?}`, `${$}` (IAM User Guide, "IAM policy elements: Variables and tags").
// A string is split into parts once, at compile time; variables are resolved per request.

import { quote } from './json.ts';

/** `text`: policy text (wildcards may apply); `literal`: never a wildcard; `var`: resolved per request. */
export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'literal'; text: string }
  | { kind: 'var'; name: string; lower: string; fallback: string | undefined };

export interface ParsedTemplate {
  parts: TemplatePart[];
  hasVariables: boolean;
  error?: string;
}

const ESCAPES: Record<string, string> = { '*': '*', '?': '?', $: '$' };
// Context key names: service prefix, then letters, digits and the characters tag keys allow.
const VAR_NAME = /^[A-Za-z0-9_.-]+:[A-Za-z0-9_.:/=+\-@ ]+$/;
const QUOTED = /^'([^']*)'$/;

/** Splits `s` into text and variables. With `variables` false (Version 2008-10-17) all is text. */
export function parseTemplate(s: string, variables: boolean): ParsedTemplate {
  if (!variables || !s.includes('${')) return { parts: [{ kind: 'text', text: s }], hasVariables: false };
  const parts: TemplatePart[] = [];
  let hasVariables = false;
  let i = 0;
  let text = '';
  while (i < s.length) {
    const start = s.indexOf('${', i);
    if (start < 0) {
      text += s.slice(i);
      break;
    }
    text += s.slice(i, start);
    const end = s.indexOf('}', start + 2);
    if (end < 0)
      return { parts, hasVariables, error: `unterminated policy variable at ${quote(s.slice(start))}` };
    const inner = s.slice(start + 2, end);
    const escaped = ESCAPES[inner];
    if (escaped !== undefined) {
      if (text) parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'literal', text: escaped });
    } else {
      // `${key, 'default'}`: split at the first comma (key names have none); no regex backtracking.
      const comma = inner.indexOf(',');
      const name = (comma < 0 ? inner : inner.slice(0, comma)).trim();
      const quoted = comma < 0 ? null : QUOTED.exec(inner.slice(comma + 1).trim());
      if (!VAR_NAME.test(name) || (comma >= 0 && !quoted)) {
        return { parts, hasVariables, error: `invalid policy variable ${quote(`\${${inner}}`)}` };
      }
      if (text) parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'var', name, lower: name.toLowerCase(), fallback: quoted ? quoted[1] : undefined });
      hasVariables = true;
    }
    i = end + 1;
  }
  if (text) parts.push({ kind: 'text', text });
  return { parts, hasVariables };
}
