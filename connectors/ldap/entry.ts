// Search entries → connector values. Attribute names are matched case-insensitively.
import type { Entry } from 'ldapts';
import type { GroupRef, User } from '../types.ts';
import { guidToString } from './guid.ts';
import type { GroupSettings, Settings, UserSettings } from './settings.ts';

export interface RawEntry {
  dn: string;
  /** Lowercased attribute description → values. */
  attrs: Map<string, (string | Buffer)[]>;
}

export function toRaw(e: Entry): RawEntry {
  const attrs = new Map<string, (string | Buffer)[]>();
  for (const [k, v] of Object.entries(e)) {
    if (k === 'dn') continue;
    attrs.set(k.toLowerCase(), Array.isArray(v) ? v : [v]);
  }
  return { dn: e.dn, attrs };
}

export function values(e: RawEntry, attribute: string): string[] {
  return (e.attrs.get(attribute.toLowerCase()) ?? []).map((v) =>
    Buffer.isBuffer(v) ? v.toString('base64') : v,
  );
}

export function first(e: RawEntry, attribute: string): string | null {
  return values(e, attribute)[0] ?? null;
}

/** Stable id: 16-byte binary ids (objectGUID) as canonical GUID, UUID strings lowercased. */
export function externalId(e: RawEntry, attribute: string): string | null {
  const v = e.attrs.get(attribute.toLowerCase())?.[0];
  if (v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.length === 16 ? guidToString(v) : v.toString('hex');
  return v.toLowerCase();
}

/** Binary attributes ldapts must hand back as buffers (it matches names case-sensitively). */
const BINARY = ['objectGUID', 'objectSid', 'mS-DS-ConsistencyGuid'];
const BINARY_NAMES = [...new Set(BINARY.flatMap((a) => [a, a.toLowerCase(), a.toUpperCase()]))];

export function binaryAttributes(_settings: Settings): string[] {
  return BINARY_NAMES;
}

export function userAttributes(u: UserSettings): string[] {
  return [
    ...new Set([
      u.idAttribute,
      ...u.usernameAttributes,
      u.displayName,
      'cn',
      u.givenName,
      u.familyName,
      ...u.emailAttributes,
      ...Object.values(u.extra),
    ]),
  ];
}

export function groupAttributes(g: GroupSettings): string[] {
  return [g.idAttribute, g.nameAttribute, 'description'];
}

export class MissingIdError extends Error {}

export function toUser(e: RawEntry, u: UserSettings, disabled: boolean): User {
  const id = externalId(e, u.idAttribute);
  if (!id) throw new MissingIdError(`entry ${e.dn} has no ${u.idAttribute}`);
  const attributes: Record<string, string[]> = {};
  for (const [name, attr] of Object.entries(u.extra)) attributes[name] = values(e, attr);
  return {
    externalId: id,
    userName: u.usernameAttributes.map((a) => first(e, a)).find((v) => v) ?? e.dn,
    displayName: first(e, u.displayName) ?? first(e, 'cn'),
    givenName: first(e, u.givenName),
    familyName: first(e, u.familyName),
    emails: [...new Set(u.emailAttributes.flatMap((a) => values(e, a)))],
    attributes,
    disabled,
    dn: e.dn,
  };
}

export function toGroupRef(e: RawEntry, g: GroupSettings): GroupRef {
  const id = externalId(e, g.idAttribute);
  if (!id) throw new MissingIdError(`entry ${e.dn} has no ${g.idAttribute}`);
  return { externalId: id, name: first(e, g.nameAttribute) ?? e.dn, dn: e.dn };
}
