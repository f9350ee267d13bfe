import { groupSource, parsePrincipal } from '../../apply/principals.ts';
import type { Config } from '../../config/schema.ts';
import type { User } from '../../directory/users.ts';
import type { Queryable } from '../../store/db.ts';

/**
 * Who must use a second factor. An administrator is the root user, or an effective member
 * (directly or through nested groups) of the administrators group, `administrators.group` in the
 * configuration: a built-in group's name (default `gatehouse-admins`), or `CONNECTOR/NAME` for a
 * group synced from a directory connector. Administrators always need MFA; everyone else does
 * when `mfa.policy` is `required` (the default).
 */
export type MfaConfig = Pick<Config, 'mfa' | 'administrators'>;

export async function isAdministrator(q: Queryable, user: Pick<User, 'id' | 'isRoot'>, group: string) {
  if (user.isRoot) return true;
  const principal = parsePrincipal(`group:${group}`);
  if (!principal || principal.kind === 'user') return false;
  const { rows } = await q.query(
    `with recursive chain(id, depth) as (
       select group_id, 1 from group_members where member_user_id = $1
       union
       select gm.group_id, chain.depth + 1 from group_members gm join chain on gm.member_group_id = chain.id
       where chain.depth < 64
     )
     select 1 from chain join groups g on g.id = chain.id
     where g.source = $2 and lower(g.name) = lower($3) limit 1`,
    [user.id, groupSource(principal), principal.name],
  );
  return rows.length > 0;
}

export async function mfaRequired(
  q: Queryable,
  config: MfaConfig,
  user: Pick<User, 'id' | 'isRoot'>,
): Promise<boolean> {
  if (config.mfa.policy === 'required') return true;
  return isAdministrator(q, user, config.administrators.group);
}
