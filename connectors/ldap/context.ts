// What every operation of one LDAP connector shares: config, connection options, the service
// connection, and the effective settings (dialect read from the rootDSE once when `auto`).
import { readFileSync } from 'node:fs';
import type { LdapConfig } from './config.ts';
import type { ConnectionOptions } from './connection.ts';
import { readRootDSE } from './search.ts';
import { createServiceConnection, type Outcome, type ServiceConnection } from './service.ts';
import { detectDialect, resolveSettings, type Settings } from './settings.ts';

export interface Context {
  config: LdapConfig;
  conn: ConnectionOptions;
  bindDN: string;
  bindPassword: string;
  service: ServiceConnection;
  settings(): Promise<Outcome<Settings>>;
}

export function createContext(config: LdapConfig): Context {
  const bindPassword =
    config.bindPassword?.reveal() ?? readFileSync(config.bindPasswordFile!, 'utf8').replace(/\r?\n$/, '');
  const conn: ConnectionOptions = {
    urls: config.urls,
    ca: config.tls.caFile ? readFileSync(config.tls.caFile) : undefined,
    startTLS: config.tls.startTLS,
    connectTimeoutMs: config.timeouts.connect,
    operationTimeoutMs: config.timeouts.operation,
  };
  const service = createServiceConnection(conn, config.bindDN, bindPassword);
  let resolved: Settings | null = config.dialect === 'auto' ? null : resolveSettings(config, config.dialect);
  return {
    config,
    conn,
    bindDN: config.bindDN,
    bindPassword,
    service,
    async settings() {
      if (resolved) return { ok: true, value: resolved, url: '' };
      const r = await service.run((client) =>
        readRootDSE(client, ['supportedCapabilities', 'forestFunctionality', 'isGlobalCatalogReady']),
      );
      if (!r.ok) return r;
      resolved = resolveSettings(config, detectDialect(r.value));
      return { ok: true, value: resolved, url: r.url };
    },
  };
}
