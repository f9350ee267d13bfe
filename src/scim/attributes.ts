import { invalidFilter } from './errors.ts';
import type { AttrPath } from './filter-ast.ts';
import {
  CORE_GROUP,
  CORE_USER,
  ENTERPRISE_ATTRIBUTES,
  ENTERPRISE_USER,
  PROFILE_MULTI,
  PROFILE_NAME_PARTS,
  PROFILE_STRINGS,
} from './schemas.ts';

/**
 * What each SCIM attribute is in the database: the SQL expression that reads it, its type and its
 * case rule (RFC 7643 `caseExact`). Expressions are fixed text from this table; a filter's values
 * only ever travel as parameters. Users are aliased `u` (with `p`, their scim_user_profiles row),
 * groups `g`; rows of a multi-valued attribute are aliased `$E` (replaced by a unique alias).
 */
export type AttrType = 'string' | 'boolean' | 'dateTime';

export interface ScalarAttr {
  kind: 'scalar';
  /** Canonical name, for messages and in-memory evaluation: `userName`, `name.givenName`. */
  name: string;
  type: AttrType;
  caseExact: boolean;
  sql: string;
  /** A UUID column compared as such (an equality with a non-UUID matches nothing). */
  uuid?: string;
}

export interface MultiAttr {
  kind: 'multi';
  name: string;
  /** A FROM item yielding one row per value, aliased $E. */
  rows: string;
  subs: Record<string, ScalarAttr>;
}

export interface ResourceAttrs {
  scalars: Record<string, ScalarAttr>;
  multis: Record<string, MultiAttr>;
  /** The schemas a path may name: core first, then extensions (whose attributes need no prefix). */
  schemas: { urn: string; prefix: string }[];
}

const scalar = (
  name: string,
  type: AttrType,
  caseExact: boolean,
  sql: string,
  uuid?: string,
): ScalarAttr => ({
  kind: 'scalar',
  name,
  type,
  caseExact,
  sql,
  ...(uuid ? { uuid } : {}),
});

/** A JSON object's fields as sub-attributes (strings case-insensitive, `primary` boolean). */
function jsonSubs(names: readonly string[]): Record<string, ScalarAttr> {
  return Object.fromEntries(
    names.map((n) => [
      n.toLowerCase(),
      n === 'primary'
        ? scalar(n, 'boolean', false, `coalesce(($E.v -> 'primary') = 'true'::jsonb, false)`)
        : scalar(n, 'string', false, `($E.v ->> '${n}')`),
    ]),
  );
}

const jsonArrayRows = (expr: string) =>
  `jsonb_array_elements(case when jsonb_typeof(${expr}) = 'array' then ${expr} else '[]'::jsonb end) as $E(v)`;

// Keys of the tables below are lower case: SCIM attribute names are case-insensitive.
const userScalars: Record<string, ScalarAttr> = {
  id: scalar('id', 'string', true, 'u.id::text', 'u.id'),
  externalid: scalar('externalId', 'string', true, 'u.external_id'),
  username: scalar('userName', 'string', false, 'u.user_name'),
  displayname: scalar('displayName', 'string', false, 'u.display_name'),
  'name.givenname': scalar('name.givenName', 'string', false, 'u.given_name'),
  'name.familyname': scalar('name.familyName', 'string', false, 'u.family_name'),
  active: scalar('active', 'boolean', false, "(u.status = 'active')"),
  'meta.created': scalar('meta.created', 'dateTime', false, 'u.created_at'),
  'meta.lastmodified': scalar('meta.lastModified', 'dateTime', false, 'u.updated_at'),
};
for (const n of PROFILE_STRINGS)
  userScalars[n.toLowerCase()] = scalar(n, 'string', false, `(p.data ->> '${n}')`);
for (const n of PROFILE_NAME_PARTS)
  userScalars[`name.${n.toLowerCase()}`] = scalar(
    `name.${n}`,
    'string',
    false,
    `(p.data -> 'name' ->> '${n}')`,
  );
for (const n of ENTERPRISE_ATTRIBUTES) {
  const key = n === 'manager' ? 'enterprise:manager.value' : `enterprise:${n.toLowerCase()}`;
  userScalars[key] = scalar(
    n === 'manager' ? 'manager.value' : n,
    'string',
    n === 'manager',
    `(u.attributes ->> '${n}')`,
  );
}

const userMultis: Record<string, MultiAttr> = {
  emails: {
    kind: 'multi',
    name: 'emails',
    rows: jsonArrayRows('u.emails'),
    subs: jsonSubs(['value', 'display', 'type', 'primary']),
  },
  groups: {
    kind: 'multi',
    name: 'groups',
    rows: `(select g.id::text as value, g.name as display from group_members gm join groups g on g.id = gm.group_id
            where gm.member_user_id = u.id) as $E`,
    subs: {
      value: scalar('value', 'string', true, '$E.value'),
      display: scalar('display', 'string', false, '$E.display'),
    },
  },
};
for (const [n, subs] of Object.entries(PROFILE_MULTI))
  userMultis[n.toLowerCase()] = {
    kind: 'multi',
    name: n,
    rows: jsonArrayRows(`(p.data -> '${n}')`),
    subs: jsonSubs(subs),
  };

export const USER_ATTRS: ResourceAttrs = {
  scalars: userScalars,
  multis: userMultis,
  schemas: [
    { urn: CORE_USER, prefix: '' },
    { urn: ENTERPRISE_USER, prefix: 'enterprise:' },
  ],
};

export const GROUP_ATTRS: ResourceAttrs = {
  scalars: {
    id: scalar('id', 'string', true, 'g.id::text', 'g.id'),
    externalid: scalar('externalId', 'string', true, 'g.external_id'),
    displayname: scalar('displayName', 'string', false, 'g.name'),
    'meta.created': scalar('meta.created', 'dateTime', false, 'g.created_at'),
    'meta.lastmodified': scalar('meta.lastModified', 'dateTime', false, 'g.updated_at'),
  },
  multis: {
    members: {
      kind: 'multi',
      name: 'members',
      rows: `(select coalesce(gm.member_user_id, gm.member_group_id)::text as value,
                     case when gm.member_user_id is null then 'Group' else 'User' end as type,
                     coalesce(mu.user_name, mg.name) as display
              from group_members gm left join users mu on mu.id = gm.member_user_id
                left join groups mg on mg.id = gm.member_group_id
              where gm.group_id = g.id) as $E`,
      subs: {
        value: scalar('value', 'string', true, '$E.value'),
        type: scalar('type', 'string', false, '$E.type'),
        display: scalar('display', 'string', false, '$E.display'),
      },
    },
  },
  schemas: [{ urn: CORE_GROUP, prefix: '' }],
};

export type Resolved =
  | { kind: 'scalar'; attr: ScalarAttr }
  | { kind: 'multi'; attr: MultiAttr; sub?: ScalarAttr | undefined };

/**
 * What an attribute path names: a scalar, or a multi-valued attribute (with the sub-attribute it
 * names, if any). `fail` makes the error (invalidFilter in filters, invalidPath in PATCH paths).
 */
export function resolveAttr(
  attrs: ResourceAttrs,
  path: AttrPath,
  fail: (message: string) => Error = invalidFilter,
): Resolved {
  const text = `${path.uri ? `${path.uri}:` : ''}${path.attr}${path.sub ? `.${path.sub}` : ''}`;
  const prefixes = path.uri
    ? attrs.schemas.filter((s) => s.urn.toLowerCase() === path.uri!.toLowerCase()).map((s) => s.prefix)
    : attrs.schemas.map((s) => s.prefix);
  if (prefixes.length === 0) throw fail(`unknown schema in "${text}"`);
  const attr = path.attr.toLowerCase();
  const sub = path.sub?.toLowerCase();
  for (const prefix of prefixes) {
    const multi = prefix === '' ? attrs.multis[attr] : undefined;
    if (multi) {
      if (sub === undefined) return { kind: 'multi', attr: multi };
      const subAttr = multi.subs[sub];
      if (!subAttr) throw fail(`"${text}": ${multi.name} has no sub-attribute ${path.sub}`);
      return { kind: 'multi', attr: multi, sub: subAttr };
    }
    const found = attrs.scalars[`${prefix}${attr}${sub !== undefined ? `.${sub}` : ''}`];
    if (found) return { kind: 'scalar', attr: found };
  }
  throw fail(`unknown attribute "${text}"`);
}
