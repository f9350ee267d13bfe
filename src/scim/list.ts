import type { Queryable } from '../store/db.ts';
import { sqlParams } from '../store/sql.ts';
import { type ResourceAttrs, resolveAttr } from './attributes.ts';
import { invalidValue } from './errors.ts';
import type { AttrPath, Filter } from './filter-ast.ts';
import { compileFilter } from './filter-sql.ts';

/** A SCIM list request, already parsed: RFC 7644 §3.4.2 (1-based startIndex). */
export interface ListQuery {
  filter?: Filter | undefined;
  sortBy?: AttrPath | undefined;
  descending?: boolean | undefined;
  startIndex: number;
  count: number;
}

/**
 * Ids of one page of a resource type, and how many match in all. `from` and `scope` are fixed SQL
 * (the table, its joins, the SCIM-owned rows); the filter compiles to parameters; sorting uses the
 * same attribute table (with the id as tie-breaker, so pages never overlap).
 */
export async function listIds(
  q: Queryable,
  attrs: ResourceAttrs,
  table: { from: string; scope: string; id: string },
  query: ListQuery,
): Promise<{ total: number; ids: string[] }> {
  const { values, param } = sqlParams();
  const where = query.filter
    ? `${table.scope} and ${compileFilter(query.filter, attrs, param)}`
    : table.scope;
  const { rows: counted } = await q.query<{ n: number }>(
    `select count(*)::int as n from ${table.from} where ${where}`,
    values,
  );
  const total = counted[0]!.n;
  if (query.count === 0 || query.startIndex > total) return { total, ids: [] };
  const direction = query.descending ? 'desc' : 'asc';
  const order = query.sortBy ? `${sortExpression(attrs, query.sortBy)} ${direction} nulls last, ` : '';
  const { rows } = await q.query<{ id: string }>(
    `select ${table.id} as id from ${table.from} where ${where}
     order by ${order}${table.id} ${direction} limit ${param(query.count)} offset ${param(query.startIndex - 1)}`,
    values,
  );
  return { total, ids: rows.map((r) => r.id) };
}

function sortExpression(attrs: ResourceAttrs, path: AttrPath): string {
  const resolved = resolveAttr(attrs, path, invalidValue);
  if (resolved.kind === 'scalar') {
    const a = resolved.attr;
    return a.type === 'string' && !a.caseExact ? `lower(${a.sql})` : a.sql;
  }
  // A multi-valued attribute sorts by its first value (RFC 7644: the primary one, when marked).
  const sub = resolved.sub ?? resolved.attr.subs['value'];
  if (!sub) throw invalidValue(`cannot sort by ${resolved.attr.name}`);
  const primary = resolved.attr.subs['primary'];
  const rows = resolved.attr.rows.replaceAll('$E', 's');
  return `(select lower(${sub.sql.replaceAll('$E', 's')}) from ${rows} ${
    primary ? `order by ${primary.sql.replaceAll('$E', 's')} desc` : ''
  } limit 1)`;
}
