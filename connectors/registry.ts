// Connector kinds by configuration `type`. Adding a kind: one folder, one line here.
import { ldapFactory } from './ldap/index.ts';
import type { Connector } from './types.ts';

export interface ConnectorFactory {
  /** Validates raw configuration (errors name the offending key, prefixed with `where`), then builds. */
  create(raw: unknown, where?: string): Connector;
}

const factories: Record<string, ConnectorFactory> = {
  ldap: ldapFactory,
};

export function connectorTypes(): string[] {
  return Object.keys(factories);
}

export function createConnector(raw: unknown, where = 'connector'): Connector {
  const type = (raw as { type?: unknown } | null)?.type;
  const factory = typeof type === 'string' ? factories[type] : undefined;
  if (!factory) {
    throw new Error(
      `${where}.type: expected one of ${connectorTypes().join(', ')}, got ${JSON.stringify(type)}`,
    );
  }
  return factory.create(raw, where);
}
