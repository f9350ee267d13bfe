// Wildcard matching for actions, resources, StringLike and ArnLike, compiled once per pattern.
//
// Three modes (IAM User Guide: "Resource", "Condition operators"):
// - plain:    `*` any run of characters, `?` any one character (Action, StringLike).
// - resource: ARN segments are the parts between colons. In the first five segments a wildcard stays
//             inside its segment, except a `*` that ends a segment, which "can expand to match beyond
//             the colon boundaries". In the resource part (after the fifth colon) `*` matches anything,
//             `/` and `:` included.
// - arn:      ArnLike/ArnEquals: "each of the six colon-delimited components of the ARN is checked
//             separately", so wildcards never cross the first five colons.
// Text from policy variables and the escapes ${*} ${?} ${$} is always literal.

import type { TemplatePart } from './template.ts';

export type GlobMode = 'plain' | 'resource' | 'arn';

export const STAR_ANY = -1; // `*` that may cross colons
export const STAR_SEG = -2; // `*` confined to one ARN segment
export const ONE_ANY = -3; // `?`
export const ONE_SEG = -4; // `?` that cannot match a colon

/** A literal run of text, or a wildcard code. */
export type Token = string | number;

/** A variable reference inside a pattern, resolved per request. */
export interface VarRef {
  name: string;
  lower: string;
  fallback: string | undefined;
}

type Item = Token | VarRef;

/** Resolves a policy variable for the current request; undefined when it has no single value. */
export type Resolve = (lower: string, name: string) => string | undefined;

export interface Glob {
  /** The pattern as written (for messages). */
  source: string;
  /** Tests a value; `resolve` is only used by patterns with variables. */
  test: (s: string, resolve: Resolve) => boolean;
  hasVariables: boolean;
}

const COLON = 58;

/** Compiles template parts (already split at variables) into a matcher for `mode`. */
export function compileGlob(parts: TemplatePart[], mode: GlobMode, source: string): Glob {
  const items = tokenize(parts, mode);
  const needsDp = anyStarBeforeSegStar(items);
  const hasVariables = items.some((t) => typeof t === 'object');
  if (!hasVariables) {
    const toks = items as Token[];
    return { source, test: fastMatcher(toks, needsDp), hasVariables };
  }
  const test = (s: string, resolve: Resolve): boolean => {
    const toks: Token[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (typeof it === 'object') {
        const v = resolve(it.lower, it.name) ?? it.fallback;
        if (v === undefined) return false; // an unresolved variable matches nothing
        toks[i] = v;
      } else toks[i] = it;
    }
    return needsDp ? dpMatch(toks, s) : classicMatch(toks, s);
  };
  return { source, test, hasVariables };
}

/** Compiles plain text (no variables) in `mode`. */
export function compileText(text: string, mode: GlobMode): Glob {
  return compileGlob([{ kind: 'text', text }], mode, text);
}

function tokenize(parts: TemplatePart[], mode: GlobMode): Item[] {
  // Flatten to atoms so a `*` can look at the character that follows it, across parts.
  type Atom = { ch: string; wild: boolean } | VarRef;
  const atoms: Atom[] = [];
  for (const p of parts) {
    if (p.kind === 'var') atoms.push({ name: p.name, lower: p.lower, fallback: p.fallback });
    else for (const ch of p.text) atoms.push({ ch, wild: p.kind === 'text' });
  }
  const items: Item[] = [];
  let lit = '';
  let colons = 0;
  const flush = (): void => {
    if (lit) items.push(lit);
    lit = '';
  };
  for (let i = 0; i < atoms.length; i++) {
    const a = atoms[i]!;
    if ('name' in a) {
      flush();
      items.push(a);
      continue;
    }
    if (a.wild && (a.ch === '*' || a.ch === '?')) {
      flush();
      const inResourcePart = colons >= 5;
      if (mode === 'plain' || inResourcePart) items.push(a.ch === '*' ? STAR_ANY : ONE_ANY);
      else if (a.ch === '?') items.push(ONE_SEG);
      else if (mode === 'arn') items.push(STAR_SEG);
      else {
        const next = atoms[i + 1];
        const endsSegment = next === undefined || ('ch' in next && next.ch === ':');
        items.push(endsSegment ? STAR_ANY : STAR_SEG);
      }
      continue;
    }
    if (a.ch === ':') colons++;
    lit += a.ch;
  }
  flush();
  return items;
}

// The classic single-backtrack algorithm is exact unless a wildcard that can match a colon comes
// before a segment-confined star; those rare patterns use the dynamic-programming matcher.
function anyStarBeforeSegStar(items: Item[]): boolean {
  let seenAny = false;
  for (const t of items) {
    if (t === STAR_ANY || t === ONE_ANY) seenAny = true;
    else if (t === STAR_SEG && seenAny) return true;
  }
  return false;
}

function fastMatcher(toks: Token[], needsDp: boolean): (s: string) => boolean {
  if (toks.length === 0) return (s) => s === '';
  const [a, b, c] = toks;
  if (toks.length === 1) {
    if (typeof a === 'string') return (s) => s === a;
    if (a === STAR_ANY) return () => true;
  }
  if (toks.length === 2) {
    if (typeof a === 'string' && b === STAR_ANY) return (s) => s.startsWith(a);
    if (a === STAR_ANY && typeof b === 'string') return (s) => s.endsWith(b);
  }
  if (toks.length === 3 && a === STAR_ANY && typeof b === 'string' && c === STAR_ANY) {
    return (s) => s.includes(b);
  }
  return needsDp ? (s) => dpMatch(toks, s) : (s) => classicMatch(toks, s);
}

/** Greedy matching that backtracks only to the last star: linear in practice, no allocation. */
export function classicMatch(toks: Token[], s: string): boolean {
  const n = toks.length;
  const len = s.length;
  let ti = 0;
  let si = 0;
  let starTi = -1;
  let starSi = 0;
  let starSeg = false;
  while (true) {
    if (ti < n) {
      const t = toks[ti]!;
      if (typeof t === 'string') {
        if (s.startsWith(t, si)) {
          si += t.length;
          ti++;
          continue;
        }
      } else if (t === STAR_ANY || t === STAR_SEG) {
        starTi = ti;
        starSi = si;
        starSeg = t === STAR_SEG;
        ti++;
        continue;
      } else if (si < len && (t === ONE_ANY || s.charCodeAt(si) !== COLON)) {
        si++;
        ti++;
        continue;
      }
    } else if (si === len) return true;
    // Mismatch: let the last star swallow one more character, if it can.
    if (starTi < 0 || starSi >= len) return false;
    if (starSeg && s.charCodeAt(starSi) === COLON) return false;
    starSi++;
    si = starSi;
    ti = starTi + 1;
  }
}

/** Exact matching for any mix of wildcards, in O(pattern × value) time. */
export function dpMatch(toks: Token[], s: string): boolean {
  const pat: number[] = [];
  for (const t of toks) {
    if (typeof t === 'string') for (let i = 0; i < t.length; i++) pat.push(t.charCodeAt(i));
    else pat.push(t);
  }
  const m = pat.length;
  let prev = new Uint8Array(m + 1);
  let cur = new Uint8Array(m + 1);
  prev[0] = 1;
  for (let j = 1; j <= m; j++) {
    const p = pat[j - 1]!;
    prev[j] = (p === STAR_ANY || p === STAR_SEG) && prev[j - 1] ? 1 : 0;
  }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    cur[0] = 0;
    for (let j = 1; j <= m; j++) {
      const p = pat[j - 1]!;
      let ok: boolean;
      if (p === STAR_ANY) ok = cur[j - 1] === 1 || prev[j] === 1;
      else if (p === STAR_SEG) ok = cur[j - 1] === 1 || (c !== COLON && prev[j] === 1);
      else if (p === ONE_ANY) ok = prev[j - 1] === 1;
      else if (p === ONE_SEG) ok = c !== COLON && prev[j - 1] === 1;
      else ok = p === c && prev[j - 1] === 1;
      cur[j] = ok ? 1 : 0;
    }
    const t = prev;
    prev = cur;
    cur = t;
  }
  return prev[m] === 1;
}
