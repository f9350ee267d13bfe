// Compiled Condition blocks (IAM User Guide: "Condition operators", "Conditions with multiple context
// keys or values", "Multivalued context keys"):
// - operators, and keys within an operator, are AND-ed;
// - the values of one key are OR-ed; for a negated operator they are NOR-ed (no value may match);
// - a missing key fails the condition, except: negated operators and ForAllValues hold, …IfExists
//   holds, and Null tests presence itself; ForAnyValue fails;
// - ForAllValues: every request value must match; ForAnyValue: at least one must. An empty value set
//   (no values, or the empty string) makes ForAllValues true and ForAnyValue false.

import type { RequestState } from './context.ts';
import { parseDate, parseRequestDate } from './date.ts';
import { compileGlob, type Glob, type Resolve } from './glob.ts';
import { type Cidr, cidrContains, type Ip, parseCidr, parseIp } from './ip.ts';
import { allowsVariables, type Category, type Comparison, parseOperator } from './operators.ts';
import { parseTemplate, type TemplatePart } from './template.ts';
import type { ConditionValue } from './types.ts';

const NONE = 0;
const FOR_ALL = 1;
const FOR_ANY = 2;

/** Tests one request value against all policy values of a condition: true when any matches. */
type ValueTest = (value: string, resolve: Resolve) => boolean;

export interface CompiledCondition {
  operator: string;
  key: string;
  lower: string;
  negated: boolean;
  set: number;
  ifExists: boolean;
  /** Null: the accepted answers to "is the key absent?". */
  nullAnswers: boolean[] | null;
  test: ValueTest;
}

export function compileConditions(
  block: Record<string, Record<string, ConditionValue | ConditionValue[]>>,
  variables: boolean,
): CompiledCondition[] {
  const out: CompiledCondition[] = [];
  for (const operator of Object.keys(block)) {
    const parsed = parseOperator(operator);
    if ('error' in parsed) throw new Error(parsed.error); // validated before compiling
    const { base } = parsed;
    const keys = block[operator]!;
    for (const key of Object.keys(keys)) {
      const raw = keys[key]!;
      const values = (Array.isArray(raw) ? raw : [raw]).map((v) => String(v));
      const nullAnswers = base.category === 'Null' ? values.map((v) => v.toLowerCase() === 'true') : null;
      out.push({
        operator,
        key,
        lower: key.toLowerCase(),
        negated: base.negated,
        set: parsed.set === 'ForAllValues' ? FOR_ALL : parsed.set === 'ForAnyValue' ? FOR_ANY : NONE,
        ifExists: parsed.ifExists,
        nullAnswers,
        test: compileTest(base.category, base.cmp, values, variables && allowsVariables(base.category)),
      });
    }
  }
  // Cheap tests first: the result does not depend on the order (all are AND-ed).
  return out.sort((a, b) => cost(a) - cost(b));
}

function cost(c: CompiledCondition): number {
  return c.nullAnswers !== null ? 0 : c.ifExists ? 1 : 2;
}

export function evaluateCondition(c: CompiledCondition, state: RequestState): boolean {
  let v = state.get(c.lower, c.key);
  if (v !== undefined && typeof v !== 'string' && v.length === 0) v = undefined; // no values: absent
  if (c.nullAnswers !== null) {
    const absent = v === undefined;
    for (const answer of c.nullAnswers) if (answer === absent) return true;
    return false;
  }
  if (v === undefined) {
    if (c.ifExists || c.set === FOR_ALL) return true;
    if (c.set === FOR_ANY) return false;
    return c.negated;
  }
  const resolve = state.resolve;
  if (c.set !== NONE) {
    if (v === '') return c.set === FOR_ALL;
    if (typeof v === 'string') return c.test(v, resolve) !== c.negated;
    if (c.set === FOR_ALL) {
      for (const x of v) if (c.test(x, resolve) === c.negated) return false;
      return true;
    }
    for (const x of v) if (c.test(x, resolve) !== c.negated) return true;
    return false;
  }
  if (typeof v === 'string') return c.test(v, resolve) !== c.negated;
  // A multivalued key without a set operator: matches when any value matches (negated: when none does).
  for (const x of v) if (c.test(x, resolve)) return !c.negated;
  return c.negated;
}

function compileTest(category: Category, cmp: Comparison, values: string[], variables: boolean): ValueTest {
  switch (category) {
    case 'String':
      return equalsTest(values, variables, false);
    case 'StringIgnoreCase':
    case 'Bool':
      return equalsTest(values, variables, true);
    case 'StringLike':
      return anyGlob(values.map((v) => compileGlob(parseTemplate(v, variables).parts, 'plain', v)));
    case 'Arn':
      return anyGlob(values.map((v) => compileGlob(parseTemplate(v, variables).parts, 'arn', v)));
    case 'Numeric': {
      const nums = values.map(Number);
      return (v) => compareAny(parseNumber(v), nums, cmp);
    }
    case 'Date': {
      const dates = values.map(parseDate);
      return (v) => compareAny(parseRequestDate(v), dates, cmp);
    }
    case 'Binary': {
      const bytes = values.map(decodeBase64);
      return (v) => {
        const b = decodeBase64(v);
        return b !== undefined && bytes.includes(b);
      };
    }
    case 'Ip': {
      const cidrs = values.map(parseCidr).filter((c): c is Cidr => c !== undefined);
      return (v) => {
        const ip = parseRequestIp(v);
        if (ip === undefined) return false;
        for (const c of cidrs) if (cidrContains(c, ip)) return true;
        return false;
      };
    }
    case 'Null':
      return () => false; // handled by nullAnswers
  }
}

function equalsTest(values: string[], variables: boolean, ignoreCase: boolean): ValueTest {
  const templates = values.map((v) => parseTemplate(v, variables));
  if (!templates.some((t) => t.hasVariables)) {
    // Without variables a template is fixed text (the escapes ${*} ${?} ${$} already replaced).
    const texts = templates.map((t) => render(t.parts, noVariables)!);
    const lits = ignoreCase ? texts.map((v) => v.toLowerCase()) : texts;
    if (lits.length === 1) {
      const only = lits[0]!;
      return ignoreCase ? (v) => v === only || v.toLowerCase() === only : (v) => v === only;
    }
    const set = new Set(lits);
    return ignoreCase ? (v) => set.has(v) || set.has(v.toLowerCase()) : (v) => set.has(v);
  }
  return (v, resolve) => {
    const probe = ignoreCase ? v.toLowerCase() : v;
    for (const t of templates) {
      const s = render(t.parts, resolve);
      if (s !== undefined && (ignoreCase ? s.toLowerCase() : s) === probe) return true;
    }
    return false;
  };
}

const noVariables: Resolve = () => undefined;

/** The text of a template for this request, or undefined when a variable has no value. */
function render(parts: TemplatePart[], resolve: Resolve): string | undefined {
  let out = '';
  for (const p of parts) {
    if (p.kind === 'var') {
      const v = resolve(p.lower, p.name) ?? p.fallback;
      if (v === undefined) return undefined;
      out += v;
    } else out += p.text;
  }
  return out;
}

function anyGlob(globs: Glob[]): ValueTest {
  if (globs.length === 1) {
    const g = globs[0]!;
    return (v, resolve) => g.test(v, resolve);
  }
  return (v, resolve) => {
    for (const g of globs) if (g.test(v, resolve)) return true;
    return false;
  };
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function parseNumber(s: string): number {
  return NUMBER.test(s) ? Number(s) : Number.NaN;
}

function compareAny(x: number, policy: number[], cmp: Comparison): boolean {
  if (Number.isNaN(x)) return false;
  for (const p of policy) {
    if (
      cmp === 'eq' ? x === p : cmp === 'lt' ? x < p : cmp === 'le' ? x <= p : cmp === 'gt' ? x > p : x >= p
    ) {
      return true;
    }
  }
  return false;
}

function decodeBase64(s: string): string | undefined {
  try {
    return atob(s);
  } catch {
    return undefined;
  }
}

// aws:SourceIp is tested by several statements of one decision: keep the last parse.
let lastIpText = '';
let lastIp: Ip | undefined;

function parseRequestIp(s: string): Ip | undefined {
  if (s !== lastIpText) {
    lastIp = parseIp(s);
    lastIpText = s;
  }
  return lastIp;
}
