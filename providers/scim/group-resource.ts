import type { Group } from '../../src/directory/groups.ts';
import { invalidPath, invalidSyntax, invalidValue, mutability, noTarget } from '../../src/scim/errors.ts';
import type { Filter } from '../../src/scim/filter-ast.ts';
import type { GroupChanges, MemberRef, ScimGroupInput, ScimMember } from '../../src/scim/groups.ts';
import { CORE_GROUP } from '../../src/scim/schemas.ts';
import { parsePatchPath } from './filter/parser.ts';
import type { PatchOperation } from './patch.ts';
import type { Json } from './user-resource.ts';

/** The SCIM Group resource on the wire, and PATCH operations turned into directory changes. */
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function renderGroup(group: Group, members: ScimMember[] | undefined, baseUrl: string): Json {
  return {
    schemas: [CORE_GROUP],
    id: group.id,
    ...(group.externalId ? { externalId: group.externalId } : {}),
    displayName: group.name,
    ...(members
      ? {
          members: members.map((m) => ({
            value: m.value,
            display: m.display,
            type: m.type,
            $ref: `${baseUrl}/${m.type === 'User' ? 'Users' : 'Groups'}/${m.value}`,
          })),
        }
      : {}),
    meta: {
      resourceType: 'Group',
      created: group.createdAt.toISOString(),
      lastModified: group.updatedAt.toISOString(),
      location: `${baseUrl}/Groups/${group.id}`,
      version: `W/"${group.version}"`,
    },
  };
}

const field = (body: Json, name: string): unknown => {
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : body[key];
};

export function groupInput(body: unknown): ScimGroupInput {
  if (!isObject(body)) throw invalidSyntax('expected a JSON object');
  const displayName = field(body, 'displayName');
  if (typeof displayName !== 'string' || displayName.trim() === '')
    throw invalidValue('displayName is required');
  const externalId = field(body, 'externalId');
  if (externalId !== undefined && externalId !== null && typeof externalId !== 'string')
    throw invalidValue('externalId must be a string');
  const members = field(body, 'members');
  return {
    displayName,
    externalId: (externalId as string | null | undefined) || null,
    members: members === undefined || members === null ? undefined : memberRefs(members),
  };
}

/** `[{"value": id, "type": "User"}, …]` (a bare id, or one object, is taken too). */
export function memberRefs(value: unknown): MemberRef[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item, i) => {
    const ref = isObject(item) ? item : { value: item };
    const id = field(ref, 'value');
    if (typeof id !== 'string' || id === '') throw invalidValue(`members[${i}].value must be a member id`);
    const type = field(ref, 'type');
    if (type !== undefined && type !== null && (typeof type !== 'string' || !/^(user|group)$/i.test(type)))
      throw invalidValue(`members[${i}].type must be User or Group`);
    return {
      value: id,
      ...(typeof type === 'string'
        ? { type: type.toLowerCase() === 'user' ? ('User' as const) : ('Group' as const) }
        : {}),
    };
  });
}

/**
 * PATCH operations on a group → changes for the directory. Member operations stay set operations
 * (`add members [..]`, `remove members[value eq "…"]`, Entra ID's `remove members` with a value
 * list): the group's member list is never loaded to apply them.
 */
export function groupChanges(ops: PatchOperation[]): GroupChanges {
  const changes: GroupChanges = { members: [] };
  const set = (name: string, op: PatchOperation['op'], value: unknown) => {
    const key = name.toLowerCase();
    if (key === 'displayname') {
      if (op === 'remove') throw mutability('displayName is required');
      if (typeof value !== 'string' || value.trim() === '')
        throw invalidValue('displayName must be a string');
      changes.displayName = value;
    } else if (key === 'externalid') {
      if (op !== 'remove' && value !== null && typeof value !== 'string')
        throw invalidValue('externalId must be a string');
      changes.externalId = op === 'remove' ? null : ((value as string | null) ?? null);
    } else if (key === 'members') {
      if (op === 'remove') {
        changes.members.push(
          value === undefined ? { op: 'removeAll' } : { op: 'remove', refs: memberRefs(value) },
        );
      } else {
        const refs = memberRefs(value ?? []);
        changes.members.push(op === 'replace' ? { op: 'replace', refs } : { op: 'add', refs });
      }
    } else if (key === 'id' || key === 'meta') {
      throw mutability(`${name} is read-only`);
    } else {
      throw invalidPath(`unknown attribute ${name}`);
    }
  };
  for (const op of ops) {
    if (op.path === undefined) {
      if (op.op === 'remove') throw noTarget('remove needs a path');
      if (!isObject(op.value)) throw invalidSyntax(`${op.op} without a path needs an object value`);
      for (const [key, value] of Object.entries(op.value)) {
        if (key === 'schemas') continue;
        // Entra ID repeats the id in path-less replaces; the same id changes nothing.
        if (key.toLowerCase() === 'id') continue;
        set(stripCore(key), op.op, value);
      }
      continue;
    }
    const p = parsePatchPath(op.path);
    if (p.path.uri && p.path.uri.toLowerCase() !== CORE_GROUP.toLowerCase())
      throw invalidPath(`unknown schema ${p.path.uri}`);
    if (p.filter) {
      if (p.path.attr.toLowerCase() !== 'members' || p.path.sub || p.sub)
        throw invalidPath(`only members[…] takes a value filter on a group`);
      if (op.op !== 'remove')
        throw invalidPath('add and replace take "members" with a value list, not a filter');
      changes.members.push(removeByFilter(p.filter));
      continue;
    }
    if (p.path.sub) throw invalidPath(`${p.path.attr}.${p.path.sub}: no such sub-attribute on a group`);
    set(p.path.attr, op.op, op.value);
  }
  return changes;
}

const stripCore = (key: string) =>
  key.toLowerCase().startsWith(`${CORE_GROUP.toLowerCase()}:`) ? key.slice(CORE_GROUP.length + 1) : key;

/** `members[value eq "a" or value eq "b"]` → those ids; any other filter is matched in the database. */
function removeByFilter(filter: Filter): GroupChanges['members'][number] {
  const ids: string[] = [];
  const collect = (f: Filter): boolean => {
    if (f.kind === 'or') return collect(f.left) && collect(f.right);
    if (
      f.kind === 'compare' &&
      f.op === 'eq' &&
      f.path.attr.toLowerCase() === 'value' &&
      !f.path.sub &&
      typeof f.value === 'string'
    ) {
      ids.push(f.value);
      return true;
    }
    return false;
  };
  return collect(filter)
    ? { op: 'remove', refs: ids.map((value) => ({ value })) }
    : { op: 'removeWhere', filter };
}
