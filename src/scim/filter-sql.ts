import { likePrefix } from '../store/sql.ts';
import { type MultiAttr, type ResourceAttrs, resolveAttr, type ScalarAttr } from './attributes.ts';
import { invalidFilter } from './errors.ts';
import type { CompareOp, CompValue, Filter } from './filter-ast.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const SQL_OP: Partial<Record<CompareOp, string>> = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' };

/**
 * Compiles a parsed filter into a SQL condition over one resource type's attribute table.
 * Attribute names become fixed SQL text from that table (unknown ones are invalidFilter); every
 * value goes through `param`, never into the text. Types are checked here: `gt` on a boolean, a
 * date that is not one, `co` on a date… are all invalidFilter, so the database never sees them.
 */
export function compileFilter(
  filter: Filter,
  attrs: ResourceAttrs,
  param: (value: unknown) => string,
  /** Compile a value filter: paths are sub-attributes of this multi-valued attribute. */
  scope?: MultiAttr,
): string {
  let aliases = 0;
  const compile = (f: Filter, scope: MultiAttr | undefined): string => {
    switch (f.kind) {
      case 'and':
      case 'or':
        return `(${compile(f.left, scope)} ${f.kind} ${compile(f.right, scope)})`;
      case 'not':
        return `(not ${compile(f.filter, scope)})`;
      case 'valuePath': {
        const resolved = resolveAttr(attrs, f.path);
        if (resolved.kind !== 'multi' || resolved.sub)
          throw invalidFilter(`"${f.path.attr}" is not multi-valued: it cannot have a value filter`);
        const alias = `e${++aliases}`;
        const inner = compile(f.filter, resolved.attr).replaceAll('$E', alias);
        return `exists (select 1 from ${resolved.attr.rows.replaceAll('$E', alias)} where ${inner})`;
      }
      case 'present':
      case 'compare': {
        let target: ScalarAttr;
        let multi: MultiAttr | undefined;
        if (scope) {
          // Inside brackets, paths are sub-attributes of the multi-valued attribute.
          if (f.path.uri || f.path.sub)
            throw invalidFilter(`"${f.path.attr}.${f.path.sub}": only sub-attribute names inside [ ]`);
          const sub = scope.subs[f.path.attr.toLowerCase()];
          if (!sub) throw invalidFilter(`${scope.name} has no sub-attribute ${f.path.attr}`);
          target = sub;
        } else {
          const resolved = resolveAttr(attrs, f.path);
          if (resolved.kind === 'scalar') target = resolved.attr;
          else {
            multi = resolved.attr;
            // `emails co "x"` compares the values; `emails pr` asks for at least one.
            const sub = resolved.sub ?? resolved.attr.subs['value'];
            if (!sub) throw invalidFilter(`name a sub-attribute of ${resolved.attr.name}`);
            target = sub;
            if (f.kind === 'present' && !resolved.sub) {
              const alias = `e${++aliases}`;
              return `exists (select 1 from ${multi.rows.replaceAll('$E', alias)})`;
            }
          }
        }
        const condition = f.kind === 'present' ? present(target) : compare(target, f.op, f.value, param);
        if (!multi) return condition;
        const alias = `e${++aliases}`;
        return `exists (select 1 from ${multi.rows.replaceAll('$E', alias)} where ${condition.replaceAll('$E', alias)})`;
      }
    }
  };
  return compile(filter, scope);
}

function present(attr: ScalarAttr): string {
  if (attr.type === 'string') return `(${attr.sql} is not null and ${attr.sql} <> '')`;
  return `(${attr.sql} is not null)`;
}

function compare(attr: ScalarAttr, op: CompareOp, value: CompValue, param: (v: unknown) => string): string {
  if (value === null) {
    if (op === 'eq') return `(${attr.sql} is null)`;
    if (op === 'ne') return `(${attr.sql} is not null)`;
    throw invalidFilter(`${attr.name} ${op} null: only eq and ne compare with null`);
  }
  if (attr.type === 'boolean') {
    // "True"/"False" as strings too: some senders quote booleans.
    const b =
      typeof value === 'boolean'
        ? value
        : typeof value === 'string' && /^(true|false)$/i.test(value)
          ? value.toLowerCase() === 'true'
          : undefined;
    if (b === undefined) throw invalidFilter(`${attr.name} is a boolean: compare it with true or false`);
    if (op === 'eq') return `(${attr.sql} = ${param(b)}::boolean)`;
    if (op === 'ne') return `(${attr.sql} is distinct from ${param(b)}::boolean)`;
    throw invalidFilter(`${attr.name} is a boolean: only eq and ne apply`);
  }
  if (attr.type === 'dateTime') {
    if (typeof value !== 'string' || !DATE_TIME.test(value) || Number.isNaN(Date.parse(value)))
      throw invalidFilter(`${attr.name} is a dateTime: compare it with a string like "2026-01-31T12:00:00Z"`);
    if (op === 'ne') return `(${attr.sql} is distinct from ${param(new Date(value))}::timestamptz)`;
    const sqlOp = SQL_OP[op];
    if (!sqlOp) throw invalidFilter(`${attr.name} is a dateTime: ${op} does not apply`);
    return `(${attr.sql} ${sqlOp} ${param(new Date(value))}::timestamptz)`;
  }
  if (typeof value === 'boolean') throw invalidFilter(`${attr.name} is a string: compare it with a string`);
  const text = String(value);
  if (attr.uuid && (op === 'eq' || op === 'ne')) {
    // Compare UUIDs as UUIDs (index), and anything else as "no such id".
    if (!UUID.test(text)) return op === 'eq' ? 'false' : 'true';
    return op === 'eq' ? `(${attr.uuid} = ${param(text)}::uuid)` : `(${attr.uuid} <> ${param(text)}::uuid)`;
  }
  const left = attr.caseExact ? attr.sql : `lower(${attr.sql})`;
  const folded = attr.caseExact ? text : text.toLowerCase();
  const literal = likePrefix(folded).slice(0, -1); // the text with LIKE's % _ \ escaped
  switch (op) {
    case 'eq':
      return `(${left} = ${param(folded)})`;
    case 'ne':
      return `(${left} is distinct from ${param(folded)})`;
    case 'sw':
      return `(${left} like ${param(likePrefix(folded))})`;
    case 'co':
      return `(${left} like ${param(`%${literal}%`)})`;
    case 'ew':
      return `(${left} like ${param(`%${literal}`)})`;
    default:
      return `(${left} ${SQL_OP[op]} ${param(folded)})`;
  }
}
