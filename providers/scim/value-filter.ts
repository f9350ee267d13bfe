import type { MultiAttr } from '../../src/scim/attributes.ts';
import { invalidPath } from '../../src/scim/errors.ts';
import type { CompValue, Filter } from '../../src/scim/filter-ast.ts';

/**
 * Evaluates a value filter (`emails[type eq "work"]`) on one value of a multi-valued attribute,
 * in memory, with the attribute's case rules: the PATCH counterpart of the SQL compiler.
 */
export function matchesValue(filter: Filter, value: unknown, attr: MultiAttr): boolean {
  const element = (typeof value === 'object' && value !== null ? value : { value }) as Record<
    string,
    unknown
  >;
  switch (filter.kind) {
    case 'and':
      return matchesValue(filter.left, value, attr) && matchesValue(filter.right, value, attr);
    case 'or':
      return matchesValue(filter.left, value, attr) || matchesValue(filter.right, value, attr);
    case 'not':
      return !matchesValue(filter.filter, value, attr);
    case 'valuePath':
      throw invalidPath('a value filter cannot hold another one');
    case 'present':
    case 'compare': {
      if (filter.path.uri || filter.path.sub) throw invalidPath('only sub-attribute names inside [ ]');
      const sub = attr.subs[filter.path.attr.toLowerCase()];
      if (!sub) throw invalidPath(`${attr.name} has no sub-attribute ${filter.path.attr}`);
      const key = Object.keys(element).find((k) => k.toLowerCase() === sub.name.toLowerCase());
      const actual = key === undefined ? undefined : element[key];
      if (filter.kind === 'present') return actual !== undefined && actual !== null && actual !== '';
      return compare(actual, filter.op, filter.value, sub.caseExact);
    }
  }
}

function compare(actual: unknown, op: string, expected: CompValue, caseExact: boolean): boolean {
  if (expected === null) return op === 'eq' ? actual == null : op === 'ne' ? actual != null : false;
  if (actual === undefined || actual === null) return op === 'ne';
  const fold = (v: unknown) => {
    const text = typeof v === 'string' ? v : String(v);
    return caseExact ? text : text.toLowerCase();
  };
  if (typeof expected === 'boolean' || typeof actual === 'boolean') {
    const a = fold(actual);
    const e = fold(expected);
    return op === 'eq' ? a === e : op === 'ne' ? a !== e : false;
  }
  const a = fold(actual);
  const e = fold(expected);
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
    default:
      return false;
  }
}
