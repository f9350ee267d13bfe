// Connector kinds by configuration `type`. Adding a kind: one folder, one line here.
import { z } from 'zod';
import { ldapFactory } from './ldap/index.ts';
import type { Connector } from './types.ts';

/** A connector's validated configuration: what its factory's schema produced. */
export interface ConnectorConfig {
  id: string;
  type: string;
}

export interface ConnectorFactory {
  /** Strict schema of this kind's configuration (its `type` is a literal). */
  schema: z.ZodObject;
  /** Builds from a configuration the schema produced (reads files it names; connects lazily). */
  build(config: ConnectorConfig): Connector;
  /** Validates raw configuration (errors name the offending key, prefixed with `where`), then builds. */
  create(raw: unknown, where?: string): Connector;
}

const factories: Record<string, ConnectorFactory> = {
  ldap: ldapFactory,
};

export function connectorTypes(): string[] {
  return Object.keys(factories);
}

/** One schema for any connector entry, chosen by `type` (the server configuration's `connectors[]`). */
export function connectorConfigSchema(): z.ZodType<ConnectorConfig> {
  const [first, ...rest] = Object.values(factories).map((f) => f.schema);
  return z.discriminatedUnion('type', [first!, ...rest]) as unknown as z.ZodType<ConnectorConfig>;
}

export function createConnector(raw: unknown, where = 'connector'): Connector {
  const factory = factoryOf(raw);
  if (!factory) {
    const type = (raw as { type?: unknown } | null)?.type;
    throw new Error(
      `${where}.type: expected one of ${connectorTypes().join(', ')}, got ${JSON.stringify(type)}`,
    );
  }
  return factory.create(raw, where);
}

/** Builds a connector from a configuration already validated by connectorConfigSchema. */
export function buildConnector(config: ConnectorConfig): Connector {
  const factory = factoryOf(config);
  if (!factory) throw new Error(`connector ${config.id}: unknown type ${JSON.stringify(config.type)}`);
  return factory.build(config);
}

function factoryOf(raw: unknown): ConnectorFactory | undefined {
  const type = (raw as { type?: unknown } | null)?.type;
  return typeof type === 'string' && Object.hasOwn(factories, type) ? factories[type] : undefined;
}
