import { z } from 'zod';
import { groupNameSchema, userNameSchema } from '../directory/schemas.ts';

/**
 * Principals as the state file writes them: `user:NAME`, `group:NAME` (a built-in group) and
 * `group:CONNECTOR/NAME` (a group synced from the directory connector CONNECTOR).
 */
export type Principal =
  | { kind: 'user'; name: string }
  | { kind: 'group'; name: string }
  | { kind: 'directoryGroup'; connector: string; name: string };

const CONNECTOR = /^[A-Za-z0-9_-]{1,64}$/;
export const PRINCIPAL_EXPECTED = 'expected user:NAME, group:NAME or group:CONNECTOR/NAME';

export function parsePrincipal(text: string): Principal | undefined {
  const colon = text.indexOf(':');
  const type = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  if (colon < 0 || !rest) return undefined;
  if (type === 'user') {
    const name = userNameSchema.safeParse(rest);
    return name.success && name.data === rest ? { kind: 'user', name: rest } : undefined;
  }
  if (type !== 'group') return undefined;
  const slash = rest.indexOf('/');
  const name = slash < 0 ? rest : rest.slice(slash + 1);
  if (!groupNameSchema.safeParse(name).success || name !== name.trim()) return undefined;
  if (slash < 0) return { kind: 'group', name };
  const connector = rest.slice(0, slash);
  return CONNECTOR.test(connector) ? { kind: 'directoryGroup', connector, name } : undefined;
}

export const principalSchema = z.string().transform((text, ctx) => {
  const principal = parsePrincipal(text);
  if (!principal) {
    ctx.addIssue({ code: 'custom', message: PRINCIPAL_EXPECTED });
    return z.NEVER;
  }
  return principal;
});

/** The source that owns a principal's group: `builtin` or `ldap:CONNECTOR`. */
export const groupSource = (p: Principal & { kind: 'group' | 'directoryGroup' }): string =>
  p.kind === 'group' ? 'builtin' : `ldap:${p.connector}`;

/** Case-insensitive identity of a principal (names are unique case-insensitively). */
export function principalKey(p: Principal): string {
  if (p.kind === 'user') return `user:${p.name.toLowerCase()}`;
  if (p.kind === 'group') return `group:${p.name.toLowerCase()}`;
  return `group:${p.connector}/${p.name.toLowerCase()}`;
}

export function formatPrincipal(p: Principal): string {
  return p.kind === 'directoryGroup' ? `group:${p.connector}/${p.name}` : `${p.kind}:${p.name}`;
}
