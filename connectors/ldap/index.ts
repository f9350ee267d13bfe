// LDAP / Active Directory connector: sign-in by bind, re-check by id, full and incremental sync.
import type { Connector } from '../types.ts';
import { type LdapConfig, ldapConfigSchema, parseLdapConfig } from './config.ts';
import { createContext } from './context.ts';
import { check, login } from './login.ts';
import { changesSince, fullSync } from './sync.ts';

export { ldapConfigSchema, parseLdapConfig } from './config.ts';

export function createLdapConnector(config: LdapConfig): Connector {
  const ctx = createContext(config);
  return {
    id: config.id,
    type: 'ldap',
    password: { login: (username, password) => login(ctx, username, password) },
    refresh: { check: (id) => check(ctx, id) },
    fullSync: { fullSync: () => fullSync(ctx) },
    incrementalSync: { changesSince: (mark) => changesSince(ctx, mark) },
    syncPolicy: {
      incrementalMs: config.sync.incremental,
      fullMs: config.sync.full,
      maxDeprovisionPercent: config.sync.maxDeprovisionPercent,
    },
    close: () => ctx.service.close(),
  };
}

/** Registry entry: validates raw configuration, then builds the connector. */
export const ldapFactory = {
  schema: ldapConfigSchema,
  build: (config: { id: string; type: string }): Connector => createLdapConnector(config as LdapConfig),
  create: (raw: unknown, where?: string): Connector => createLdapConnector(parseLdapConfig(raw, where)),
};
