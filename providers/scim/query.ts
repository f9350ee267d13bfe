import { invalidValue } from '../../src/scim/errors.ts';
import type { AttrPath } from '../../src/scim/filter-ast.ts';
import type { ListQuery } from '../../src/scim/list.ts';
import { parseAttrPath, parseFilter } from './filter/parser.ts';
import type { Json } from './user-resource.ts';

/** Largest page (ServiceProviderConfig `filter.maxResults`); a larger `count` is cut to it. */
export const MAX_RESULTS = 1000;
export const DEFAULT_COUNT = 100;

export interface Projection {
  attributes?: AttrPath[] | undefined;
  excluded?: AttrPath[] | undefined;
}

/** List parameters, from a query string (GET) or a SearchRequest body (POST …/.search). */
export function parseListRequest(source: URLSearchParams | Json): {
  query: ListQuery;
  projection: Projection;
} {
  const get = (name: string): unknown => {
    if (source instanceof URLSearchParams) {
      for (const [k, v] of source) if (k.toLowerCase() === name.toLowerCase()) return v;
      return undefined;
    }
    const key = Object.keys(source).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : source[key];
  };
  const filterText = get('filter');
  if (filterText !== undefined && typeof filterText !== 'string')
    throw invalidValue('filter must be a string');
  const sortBy = get('sortBy');
  if (sortBy !== undefined && typeof sortBy !== 'string') throw invalidValue('sortBy must be a string');
  const sortOrder = get('sortOrder');
  if (
    sortOrder !== undefined &&
    (typeof sortOrder !== 'string' || !/^(ascending|descending)$/i.test(sortOrder))
  )
    throw invalidValue('sortOrder must be ascending or descending');
  const startIndex = integer(get('startIndex'), 'startIndex') ?? 1;
  const count = integer(get('count'), 'count') ?? DEFAULT_COUNT;
  return {
    query: {
      filter: filterText?.trim() ? parseFilter(filterText) : undefined,
      sortBy: sortBy ? attrPath(sortBy) : undefined,
      descending: typeof sortOrder === 'string' && sortOrder.toLowerCase() === 'descending',
      // RFC 7644 §3.4.2.4: below 1 is 1; a negative count is 0.
      startIndex: Math.max(1, startIndex),
      count: Math.min(MAX_RESULTS, Math.max(0, count)),
    },
    projection: parseProjection(get('attributes'), get('excludedAttributes')),
  };
}

export function parseProjection(attributes: unknown, excluded: unknown): Projection {
  return {
    attributes: attrList(attributes, 'attributes'),
    excluded: attrList(excluded, 'excludedAttributes'),
  };
}

function integer(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = String(value).trim();
  if (!/^-?\d{1,9}$/.test(text)) throw invalidValue(`${name} must be an integer`);
  return Number(text);
}

function attrPath(text: string): AttrPath {
  try {
    return parseAttrPath(text.trim());
  } catch {
    throw invalidValue(`"${text}" is not an attribute path`);
  }
}

/** `a,b.c` or ["a", "b.c"]. */
function attrList(value: unknown, name: string): AttrPath[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!items || items.length > 100 || items.some((i) => typeof i !== 'string'))
    throw invalidValue(`${name} must be a comma-separated list of attribute paths`);
  const paths = (items as string[]).map((i) => i.trim()).filter(Boolean);
  return paths.length ? paths.map(attrPath) : undefined;
}
