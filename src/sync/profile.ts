// A directory user's values → the profile fields of a Gatehouse user. Values the directory may hold
// but Gatehouse cannot (malformed emails, overlong names, odd attribute names) are dropped or cut
// rather than blocking the person's account; the user name is taken as it is (it is the identity).
import type { Group as DirectoryGroup, User as DirectoryUser } from '../../connectors/types.ts';
import type { User } from '../directory/users.ts';

export interface Profile {
  userName: string;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  emails: string[];
  attributes: Record<string, string>;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const ATTRIBUTE_NAME = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const CONTROL = /[\u0000-\u001f\u007f]/g;

function text(value: string | null, max: number): string | null {
  if (value === null) return null;
  const clean = value.replace(CONTROL, ' ').trim().slice(0, max).trim();
  return clean === '' ? null : clean;
}

export function toProfile(d: DirectoryUser): Profile {
  const emails = [
    ...new Set(d.emails.map((e) => e.trim()).filter((e) => e.length <= 320 && EMAIL.test(e))),
  ].slice(0, 20);
  const attributes: Record<string, string> = {};
  for (const [name, values] of Object.entries(d.attributes)) {
    const value = values.join(',');
    if (values.length > 0 && ATTRIBUTE_NAME.test(name) && value.length <= 256) attributes[name] = value;
    if (Object.keys(attributes).length >= 50) break;
  }
  return {
    userName: d.userName.trim(),
    displayName: text(d.displayName, 256),
    givenName: text(d.givenName, 128),
    familyName: text(d.familyName, 128),
    emails,
    attributes,
  };
}

/** Only the fields that differ, in the shape updateUser takes; undefined when nothing changed. */
export function profileChanges(current: User, next: Profile): Record<string, unknown> | undefined {
  const changes: Record<string, unknown> = {};
  if (current.userName !== next.userName) changes['userName'] = next.userName;
  if (current.displayName !== next.displayName) changes['displayName'] = next.displayName;
  if (current.givenName !== next.givenName) changes['givenName'] = next.givenName;
  if (current.familyName !== next.familyName) changes['familyName'] = next.familyName;
  const emails = current.emails.map((e) => e.value);
  if (emails.length !== next.emails.length || emails.some((e, i) => e !== next.emails[i]))
    changes['emails'] = next.emails;
  if (!sameRecord(current.attributes, next.attributes)) changes['attributes'] = next.attributes;
  return Object.keys(changes).length ? changes : undefined;
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

export interface GroupProfile {
  name: string;
  description: string | null;
}

export function toGroupProfile(g: DirectoryGroup): GroupProfile {
  return { name: g.name.trim(), description: text(g.description, 1024) };
}
