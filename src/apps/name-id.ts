import { createHmac, randomBytes } from 'node:crypto';
import type { User } from '../directory/users.ts';
import { GatehouseError } from '../errors.ts';
import { NAME_ID_FORMAT_URNS, type NameIdFormat, type SamlSettings } from './saml-settings.ts';
import { TEMPLATES } from './templates.ts';

export interface NameId {
  value: string;
  format: string;
}

export const primaryEmail = (user: Pick<User, 'emails'>): string | undefined =>
  (user.emails.find((e) => e.primary) ?? user.emails[0])?.value;

/**
 * The subject an application knows a person by.
 * - persistent: HMAC-SHA256 of (application id, user id) under a key derived from the master key:
 *   stable for the pair, different in every application (they cannot correlate people), reveals
 *   nothing, and needs no table. Renaming a user or changing their email keeps it.
 * - transient: random per response.
 * - emailAddress: the primary email; a user without one cannot sign in to such an application.
 */
export function nameIdFor(
  settings: Pick<SamlSettings, 'nameIdFormat' | 'nameIdSource' | 'template'>,
  appId: string,
  user: Pick<User, 'id' | 'userName' | 'emails'>,
  persistentKey: Buffer,
): NameId {
  const kind = effectiveNameIdFormat(settings);
  const format = NAME_ID_FORMAT_URNS[kind];
  switch (kind) {
    case 'persistent':
      return { format, value: persistentNameId(persistentKey, appId, user.id) };
    case 'transient':
      return { format, value: `_${randomBytes(20).toString('hex')}` };
    case 'emailAddress':
      return { format, value: requireEmail(user) };
    case 'unspecified':
      return {
        format,
        value:
          settings.nameIdSource === 'email'
            ? requireEmail(user)
            : settings.nameIdSource === 'id'
              ? user.id
              : user.userName,
      };
  }
}

export function persistentNameId(key: Buffer, appId: string, userId: string): string {
  return createHmac('sha256', key).update(`${appId}\u0000${userId}`).digest('base64url');
}

function requireEmail(user: Pick<User, 'emails'>): string {
  const email = primaryEmail(user);
  if (!email)
    throw new GatehouseError(
      'forbidden',
      'apps.no_email',
      'this application identifies people by email address, and your account has none',
    );
  return email;
}

export const effectiveNameIdFormat = (
  settings: Pick<SamlSettings, 'nameIdFormat' | 'template'>,
): NameIdFormat => settings.nameIdFormat ?? TEMPLATES[settings.template].nameIdFormat ?? 'emailAddress';
