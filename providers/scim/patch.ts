import { USER_ATTRS } from '../../src/scim/attributes.ts';
import { invalidPath, invalidSyntax, invalidValue, mutability, noTarget } from '../../src/scim/errors.ts';
import type { Filter, PatchPath } from '../../src/scim/filter-ast.ts';
import { CORE_USER, ENTERPRISE_USER, PATCH_OP } from '../../src/scim/schemas.ts';
import { parsePatchPath } from './filter/parser.ts';
import {
  canonicalEnterpriseAttr,
  canonicalUserAttr,
  type Json,
  USER_MULTI,
  USER_READ_ONLY,
} from './user-resource.ts';
import { matchesValue } from './value-filter.ts';

/** One PATCH operation (RFC 7644 §3.5.2); `op` is read case-insensitively (Entra ID writes "Replace"). */
export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: string | undefined;
  value?: unknown;
}

/** Most operations one PATCH may carry (members of a group count as one operation each value list). */
export const MAX_PATCH_OPERATIONS = 1000;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw invalidSyntax('expected a PatchOp JSON object');
  const schemas = body['schemas'];
  if (schemas !== undefined && (!Array.isArray(schemas) || !schemas.some((s) => s === PATCH_OP)))
    throw invalidSyntax(`schemas must hold ${PATCH_OP}`);
  const ops = body['Operations'] ?? body['operations'];
  if (!Array.isArray(ops) || ops.length === 0) throw invalidSyntax('Operations must be a non-empty array');
  if (ops.length > MAX_PATCH_OPERATIONS)
    throw invalidValue(`at most ${MAX_PATCH_OPERATIONS} operations in one PATCH`);
  return ops.map((raw, i) => {
    if (!isObject(raw)) throw invalidSyntax(`Operations[${i}] must be an object`);
    const op = typeof raw['op'] === 'string' ? raw['op'].toLowerCase() : undefined;
    if (op !== 'add' && op !== 'replace' && op !== 'remove')
      throw invalidSyntax(`Operations[${i}].op must be add, replace or remove`);
    const path = raw['path'];
    if (path !== undefined && path !== null && typeof path !== 'string')
      throw invalidPath(`Operations[${i}].path must be a string`);
    if (op !== 'remove' && raw['value'] === undefined)
      throw invalidValue(`Operations[${i}]: ${op} needs a value`);
    return {
      op,
      path: typeof path === 'string' && path.trim() !== '' ? path.trim() : undefined,
      value: raw['value'],
    };
  });
}

/**
 * Applies PATCH operations to a canonical User document, in memory (a user is small); the result
 * is then written like a PUT, so PATCH and PUT share every rule of the directory.
 */
export function applyUserPatch(doc: Json, ops: PatchOperation[]): Json {
  const next = structuredClone(doc);
  for (const op of ops) {
    if (op.path === undefined) {
      if (op.op === 'remove') throw noTarget('remove needs a path');
      if (!isObject(op.value)) throw invalidSyntax(`${op.op} without a path needs an object value`);
      // Each key is a path of its own: "name.givenName", "urn:…:enterprise:2.0:User:department".
      for (const [key, value] of Object.entries(op.value)) {
        if (key.toLowerCase() === ENTERPRISE_USER.toLowerCase()) {
          if (!isObject(value)) throw invalidValue(`${ENTERPRISE_USER} must be an object`);
          for (const [k, v] of Object.entries(value))
            apply(next, op.op, parseKnownPath(`${ENTERPRISE_USER}:${k}`), v, true);
          continue;
        }
        if (key === 'schemas') continue;
        const path = parseKnownPath(key);
        if (path) apply(next, op.op, path, value, true);
      }
      continue;
    }
    apply(next, op.op, parsePatchPath(op.path), op.value, false);
  }
  return next;
}

/** A key of a path-less value: an unknown attribute there is skipped, as in a POST body. */
function parseKnownPath(key: string): PatchPath | undefined {
  try {
    return parsePatchPath(key);
  } catch {
    return undefined;
  }
}

type Target =
  | { kind: 'extension' }
  | { kind: 'enterprise'; name: string }
  | { kind: 'simple'; name: string }
  | { kind: 'name' }
  | { kind: 'multi'; name: string };

function resolveTarget(p: PatchPath): Target {
  const { uri, attr } = p.path;
  if (uri) {
    if (`${uri}:${attr}`.toLowerCase() === ENTERPRISE_USER.toLowerCase()) return { kind: 'extension' };
    if (uri.toLowerCase() === ENTERPRISE_USER.toLowerCase()) {
      const name = canonicalEnterpriseAttr(attr);
      if (!name) throw invalidPath(`${ENTERPRISE_USER} has no attribute ${attr}`);
      return { kind: 'enterprise', name };
    }
    if (uri.toLowerCase() !== CORE_USER.toLowerCase()) throw invalidPath(`unknown schema ${uri}`);
  }
  const name = canonicalUserAttr(attr);
  if (!name) {
    // An enterprise attribute without its URN (Entra ID writes `manager`).
    const enterprise = uri ? undefined : canonicalEnterpriseAttr(attr);
    if (enterprise) return { kind: 'enterprise', name: enterprise };
    throw invalidPath(`unknown attribute ${attr}`);
  }
  if ((USER_READ_ONLY as readonly string[]).includes(name)) throw mutability(`${name} is read-only`);
  if (name === 'name') return { kind: 'name' };
  if ((USER_MULTI as readonly string[]).includes(name)) return { kind: 'multi', name };
  return { kind: 'simple', name };
}

function apply(
  doc: Json,
  op: PatchOperation['op'],
  p: PatchPath | undefined,
  value: unknown,
  lenient: boolean,
) {
  if (!p) return;
  let target: Target;
  try {
    target = resolveTarget(p);
  } catch (error) {
    if (lenient && (error as { code?: string }).code === 'scim.invalidPath') return;
    throw error;
  }
  const { sub } = p.path;
  switch (target.kind) {
    case 'extension': {
      if (op === 'remove') {
        delete doc[ENTERPRISE_USER];
        return;
      }
      if (!isObject(value)) throw invalidValue(`${ENTERPRISE_USER} must be an object`);
      for (const [k, v] of Object.entries(value)) {
        const name = canonicalEnterpriseAttr(k);
        if (name) setIn(doc, [ENTERPRISE_USER, name], v, false);
      }
      return;
    }
    case 'enterprise': {
      if (p.filter) throw invalidPath(`${target.name} is not multi-valued`);
      if (sub && target.name !== 'manager') throw invalidPath(`${target.name} has no sub-attributes`);
      const path = sub
        ? [ENTERPRISE_USER, 'manager', sub.toLowerCase() === 'value' ? 'value' : sub]
        : [ENTERPRISE_USER, target.name];
      setIn(doc, path, value, op === 'remove');
      return;
    }
    case 'simple':
      if (p.filter || sub) throw invalidPath(`${target.name} has no sub-attributes`);
      if (target.name === 'password') return; // write-only, and not kept: SCIM users sign in elsewhere
      setIn(doc, [target.name], value, op === 'remove');
      return;
    case 'name': {
      if (p.filter) throw invalidPath('name is not multi-valued');
      if (sub) {
        setIn(doc, ['name', canonicalNamePart(sub)], value, op === 'remove');
        return;
      }
      if (op === 'remove') {
        delete doc['name'];
        return;
      }
      if (!isObject(value)) throw invalidValue('name must be an object');
      for (const [k, v] of Object.entries(value)) setIn(doc, ['name', canonicalNamePart(k)], v, false);
      return;
    }
    case 'multi':
      applyMulti(doc, op, target.name, p, value);
  }
}

const NAME_PARTS = [
  'givenName',
  'familyName',
  'formatted',
  'middleName',
  'honorificPrefix',
  'honorificSuffix',
];
function canonicalNamePart(part: string): string {
  const name = NAME_PARTS.find((n) => n.toLowerCase() === part.toLowerCase());
  if (!name) throw invalidPath(`name has no sub-attribute ${part}`);
  return name;
}

function setIn(doc: Json, path: string[], value: unknown, remove: boolean) {
  let node = doc;
  for (const key of path.slice(0, -1)) {
    if (!isObject(node[key])) {
      if (remove) return;
      node[key] = {};
    }
    node = node[key] as Json;
  }
  const last = path.at(-1)!;
  if (remove || value === null) delete node[last];
  else node[last] = value;
}

function applyMulti(doc: Json, op: PatchOperation['op'], name: string, p: PatchPath, value: unknown) {
  const attr = USER_ATTRS.multis[name.toLowerCase()]!;
  const current: unknown[] = Array.isArray(doc[name]) ? [...(doc[name] as unknown[])] : [];
  const subName = (s: string) => {
    const found = attr.subs[s.toLowerCase()];
    if (!found) throw invalidPath(`${name} has no sub-attribute ${s}`);
    return found.name;
  };
  const sub = p.sub ?? p.path.sub;
  const key = sub === undefined ? undefined : subName(sub);
  const values = (v: unknown) => (Array.isArray(v) ? v : [v]);
  const touched = new Set<unknown>();
  let result = current;

  if (!p.filter) {
    if (key === undefined) {
      if (op === 'remove') {
        // With a value: remove those values (matched on `value`); without: remove them all.
        if (value === undefined) result = [];
        else {
          const gone = values(value).map((v) => (isObject(v) ? v['value'] : v));
          result = current.filter((e) => !gone.some((g) => sameValue(isObject(e) ? e['value'] : e, g)));
        }
      } else {
        const added = values(value).map((v) => (isObject(v) ? { ...v } : v));
        for (const v of added) touched.add(v);
        result =
          op === 'replace'
            ? added
            : [
                ...current,
                ...added.filter((v) => !current.some((e) => JSON.stringify(e) === JSON.stringify(v))),
              ];
      }
    } else {
      // `emails.value`: every value of the attribute.
      result = current.map((e) => {
        const copy: Json = isObject(e) ? { ...e } : { value: e };
        if (op === 'remove') delete copy[key];
        else copy[key] = value;
        touched.add(copy);
        return copy;
      });
      if (op !== 'remove' && result.length === 0) {
        const created = { [key]: value };
        touched.add(created);
        result = [created];
      }
    }
  } else {
    const filter = p.filter;
    const matched = current.filter((e) => matchesValue(filter, e, attr));
    if (op === 'remove') {
      result =
        key === undefined
          ? current.filter((e) => !matched.includes(e))
          : current.map((e) => {
              if (!matched.includes(e) || !isObject(e)) return e;
              const copy = { ...e };
              delete copy[key];
              return copy;
            });
    } else if (matched.length === 0) {
      // Nothing matches: a filter of equalities (`type eq "work"`) says what the new value is.
      const seed = equalities(filter, subName);
      if (!seed) throw noTarget(`no value of ${name} matches the filter`);
      const created: Json =
        key === undefined ? { ...seed, ...(isObject(value) ? value : { value }) } : { ...seed, [key]: value };
      touched.add(created);
      result = [...current, created];
    } else {
      result = current.map((e) => {
        if (!matched.includes(e)) return e;
        let copy: Json;
        if (key !== undefined) copy = { ...(isObject(e) ? e : { value: e }), [key]: value };
        else if (!isObject(value)) throw invalidValue(`a value of ${name} must be an object`);
        else copy = op === 'replace' ? { ...value } : { ...(isObject(e) ? e : {}), ...value };
        touched.add(copy);
        return copy;
      });
    }
  }
  // One primary value at most: a value just set primary wins.
  const isPrimary = (e: unknown) => isObject(e) && String(e['primary']).toLowerCase() === 'true';
  if (result.some((e) => touched.has(e) && isPrimary(e))) {
    result = result.map((e) =>
      isObject(e) && !touched.has(e) && isPrimary(e) ? { ...e, primary: false } : e,
    );
  }
  if (result.length) doc[name] = result;
  else delete doc[name];
}

const sameValue = (a: unknown, b: unknown) =>
  typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b;

/** `type eq "work" and primary eq true` → { type: "work", primary: true }; anything else: undefined. */
function equalities(filter: Filter, subName: (s: string) => string): Json | undefined {
  if (filter.kind === 'compare' && filter.op === 'eq' && !filter.path.uri && !filter.path.sub)
    return { [subName(filter.path.attr)]: filter.value };
  if (filter.kind === 'and') {
    const left = equalities(filter.left, subName);
    const right = equalities(filter.right, subName);
    return left && right ? { ...left, ...right } : undefined;
  }
  return undefined;
}
