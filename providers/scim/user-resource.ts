import { invalidSyntax, invalidValue } from '../../src/scim/errors.ts';
import {
  CORE_USER,
  ENTERPRISE_ATTRIBUTES,
  ENTERPRISE_USER,
  type EnterpriseAttribute,
  PROFILE_MULTI,
  PROFILE_NAME_PARTS,
  PROFILE_STRINGS,
} from '../../src/scim/schemas.ts';
import type { ScimUser, ScimUserInput } from '../../src/scim/users.ts';

/**
 * The SCIM User resource on the wire: rendering a directory user, and reading what senders send
 * (names case-insensitive, booleans as strings, the enterprise extension nested or flattened).
 */
export type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Canonical spelling of each attribute a User document may hold, by lower-case name. */
export const USER_SIMPLE = [
  'userName',
  'displayName',
  'externalId',
  'active',
  'password',
  ...PROFILE_STRINGS,
] as const;
export const USER_MULTI = ['emails', ...Object.keys(PROFILE_MULTI)] as const;
export const USER_READ_ONLY = ['id', 'meta', 'groups'] as const;
const canonical = new Map<string, string>(
  [...USER_SIMPLE, ...USER_MULTI, 'name', ...USER_READ_ONLY, 'schemas'].map((n) => [n.toLowerCase(), n]),
);
const enterpriseCanonical = new Map<string, string>(ENTERPRISE_ATTRIBUTES.map((n) => [n.toLowerCase(), n]));
export const canonicalUserAttr = (name: string) => canonical.get(name.toLowerCase());
export const canonicalEnterpriseAttr = (name: string) => enterpriseCanonical.get(name.toLowerCase());

export function renderUser(
  u: ScimUser,
  baseUrl: string,
  groups?: { value: string; display: string }[],
): Json {
  const { user, profile } = u;
  const name: Json = { ...(isObject(profile['name']) ? profile['name'] : {}) };
  if (user.givenName) name['givenName'] = user.givenName;
  if (user.familyName) name['familyName'] = user.familyName;
  const enterprise: Json = {};
  for (const key of ENTERPRISE_ATTRIBUTES) {
    const value = user.attributes[key];
    if (value === undefined) continue;
    enterprise[key] = key === 'manager' ? { value, $ref: `${baseUrl}/Users/${value}` } : value;
  }
  const hasEnterprise = Object.keys(enterprise).length > 0;
  const resource: Json = {
    schemas: hasEnterprise ? [CORE_USER, ENTERPRISE_USER] : [CORE_USER],
    id: user.id,
    ...(user.externalId ? { externalId: user.externalId } : {}),
    userName: user.userName,
    ...(Object.keys(name).length ? { name } : {}),
    ...(user.displayName ? { displayName: user.displayName } : {}),
    ...(user.emails.length ? { emails: user.emails } : {}),
    active: user.status === 'active',
  };
  for (const [key, value] of Object.entries(profile)) if (key !== 'name') resource[key] = value;
  if (groups) resource['groups'] = groups.map((g) => ({ ...g, $ref: `${baseUrl}/Groups/${g.value}` }));
  if (hasEnterprise) resource[ENTERPRISE_USER] = enterprise;
  resource['meta'] = {
    resourceType: 'User',
    created: user.createdAt.toISOString(),
    lastModified: user.updatedAt.toISOString(),
    location: `${baseUrl}/Users/${user.id}`,
    version: `W/"${u.version}"`,
  };
  return resource;
}

/**
 * A User body in canonical form: known attributes under their canonical names, the enterprise
 * extension under its URN (flattened `urn:…:User:department` keys folded in), core-URN-prefixed
 * names unprefixed. Unknown attributes (a sender's own extensions) are left out.
 */
export function canonicalUser(body: unknown): Json {
  if (!isObject(body)) throw invalidSyntax('expected a JSON object');
  const doc: Json = {};
  const enterprise: Json = {};
  for (const [rawKey, value] of Object.entries(body)) {
    const key = rawKey.toLowerCase();
    if (key === ENTERPRISE_USER.toLowerCase()) {
      if (value === null) continue;
      if (!isObject(value)) throw invalidValue(`${ENTERPRISE_USER} must be an object`);
      for (const [k, v] of Object.entries(value)) {
        const name = canonicalEnterpriseAttr(k);
        if (name) enterprise[name] = v;
      }
      continue;
    }
    if (key.startsWith(`${ENTERPRISE_USER.toLowerCase()}:`)) {
      const name = canonicalEnterpriseAttr(rawKey.slice(ENTERPRISE_USER.length + 1));
      if (name) enterprise[name] = value;
      continue;
    }
    const bare = key.startsWith(`${CORE_USER.toLowerCase()}:`) ? rawKey.slice(CORE_USER.length + 1) : rawKey;
    const name = canonicalUserAttr(bare);
    if (!name || name === 'schemas') continue;
    doc[name] = name === 'name' && isObject(value) ? canonicalName(value) : value;
  }
  if (Object.keys(enterprise).length) doc[ENTERPRISE_USER] = enterprise;
  return doc;
}

const NAME_PARTS = ['givenName', 'familyName', ...PROFILE_NAME_PARTS];
function canonicalName(value: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    const name = NAME_PARTS.find((n) => n.toLowerCase() === k.toLowerCase());
    if (name) out[name] = v;
  }
  return out;
}

/** `true`, `"True"`, `"false"`… → boolean (Entra ID sends booleans as strings). */
export function toBoolean(value: unknown, what: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim()))
    return value.trim().toLowerCase() === 'true';
  throw invalidValue(`${what} must be true or false`);
}

function optionalString(value: unknown, what: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw invalidValue(`${what} must be a string`);
  return value;
}

/** A canonical User document → what the directory needs (types checked; the directory checks the rest). */
export function userInput(doc: Json): ScimUserInput {
  const userName = doc['userName'];
  if (typeof userName !== 'string' || userName.trim() === '') throw invalidValue('userName is required');
  const name = isObject(doc['name']) ? doc['name'] : {};
  const emailsRaw = doc['emails'] ?? [];
  if (!Array.isArray(emailsRaw)) throw invalidValue('emails must be an array');
  const emails = emailsRaw.map((e, i) => {
    const email: Json = isObject(e) ? e : { value: e };
    if (typeof email['value'] !== 'string') throw invalidValue(`emails[${i}].value must be a string`);
    const type = optionalString(email['type'], `emails[${i}].type`);
    return {
      value: email['value'],
      ...(type ? { type } : {}),
      ...(email['primary'] !== undefined && email['primary'] !== null
        ? { primary: toBoolean(email['primary'], `emails[${i}].primary`) }
        : {}),
    };
  });
  const enterprise: Partial<Record<EnterpriseAttribute, string>> = {};
  const ext = isObject(doc[ENTERPRISE_USER]) ? (doc[ENTERPRISE_USER] as Json) : {};
  for (const key of ENTERPRISE_ATTRIBUTES) {
    let value = ext[key];
    // The manager is {"value": id}; Entra ID sends the id alone, or [{"value": id}].
    if (key === 'manager' && Array.isArray(value)) value = value[0];
    if (key === 'manager' && isObject(value)) value = value['value'];
    const text = optionalString(value, `${ENTERPRISE_USER}:${key}`);
    if (text !== null) enterprise[key] = text;
  }
  const profile: Json = {};
  for (const key of PROFILE_STRINGS) {
    const text = optionalString(doc[key], key);
    if (text !== null) profile[key] = text;
  }
  const nameRest: Json = {};
  for (const key of PROFILE_NAME_PARTS) {
    const text = optionalString(name[key], `name.${key}`);
    if (text !== null) nameRest[key] = text;
  }
  if (Object.keys(nameRest).length) profile['name'] = nameRest;
  for (const key of Object.keys(PROFILE_MULTI)) {
    const list = doc[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw invalidValue(`${key} must be an array`);
    if (list.length)
      profile[key] = list.map((v) => {
        const item: Json = isObject(v) ? { ...v } : { value: v };
        if (item['primary'] !== undefined) item['primary'] = toBoolean(item['primary'], `${key}.primary`);
        return item;
      });
  }
  return {
    userName: userName.trim(),
    externalId: optionalString(doc['externalId'], 'externalId'),
    displayName: optionalString(doc['displayName'], 'displayName'),
    givenName: optionalString(name['givenName'], 'name.givenName'),
    familyName: optionalString(name['familyName'], 'name.familyName'),
    emails,
    active: doc['active'] === undefined || doc['active'] === null ? true : toBoolean(doc['active'], 'active'),
    enterprise,
    profile,
  };
}
