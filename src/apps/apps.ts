import { type AuditContext, audit } from '../audit/audit.ts';
import { isUuid } from '../directory/users.ts';
import { parseInput } from '../directory/validate.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { isUniqueViolation } from '../store/errors.ts';
import type { SamlSettings } from './saml-settings.ts';
import {
  type CreateApplicationInput,
  createApplicationSchema,
  type UpdateApplicationInput,
  updateApplicationSchema,
} from './schemas.ts';

export type ApplicationType = 'saml' | 'oidc';

export interface Application {
  id: string;
  name: string;
  type: ApplicationType;
  label: string | null;
  logoUrl: string | null;
  /** OIDC applications: the OAuth client that signs people in to it. */
  oidcClientId: string | null;
  /** SAML applications: the service provider. */
  saml: SamlSettings | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  id: string;
  name: string;
  type: ApplicationType;
  label: string | null;
  logo_url: string | null;
  oidc_client_id: string | null;
  saml: SamlSettings | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export const APPLICATION_COLUMNS =
  'id, name, type, label, logo_url, oidc_client_id, saml, version, created_at, updated_at';

export const toApplication = (row: Row): Application => ({
  id: row.id,
  name: row.name,
  type: row.type,
  label: row.label,
  logoUrl: row.logo_url,
  oidcClientId: row.oidc_client_id,
  saml: row.saml,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const applicationTarget = (id: string) => `application:${id}`;

const notFound = (id: string) => new GatehouseError('not_found', 'apps.not_found', `no application ${id}`);

async function one(q: Queryable, where: string, value: string): Promise<Application | undefined> {
  const { rows } = await q.query<Row>(`select ${APPLICATION_COLUMNS} from applications where ${where}`, [
    value,
  ]);
  return rows[0] && toApplication(rows[0]);
}

export async function findApplication(q: Queryable, id: string): Promise<Application | undefined> {
  return isUuid(id) ? one(q, 'id = $1', id) : undefined;
}

export async function getApplication(q: Queryable, id: string): Promise<Application> {
  const app = await findApplication(q, id);
  if (!app) throw notFound(id);
  return app;
}

export const findApplicationByName = (q: Queryable, name: string) => one(q, 'lower(name) = lower($1)', name);

/** The OIDC application whose OAuth client this is (the OpenID provider asks before it signs in). */
export const findApplicationByClientId = (q: Queryable, clientId: string) =>
  one(q, 'oidc_client_id = $1', clientId);

/** The SAML application registered with this entity ID. */
export const findSamlApplication = (q: Queryable, entityId: string) =>
  one(q, 'saml_entity_id = $1', entityId);

export async function listApplications(q: Queryable): Promise<Application[]> {
  const { rows } = await q.query<Row>(
    `select ${APPLICATION_COLUMNS} from applications order by lower(name), id`,
  );
  return rows.map(toApplication);
}

function conflict(error: unknown, input: { name?: string | undefined }): never {
  if (isUniqueViolation(error)) {
    const detail = String((error as { constraint?: string; message?: string }).constraint ?? error);
    if (detail.includes('client'))
      throw new GatehouseError('conflict', 'apps.client_taken', 'another application uses this OAuth client');
    if (detail.includes('entity'))
      throw new GatehouseError(
        'conflict',
        'apps.entity_taken',
        'another application has this SAML entity ID',
      );
    throw new GatehouseError(
      'conflict',
      'apps.exists',
      `an application named "${input.name}" exists already`,
    );
  }
  throw error;
}

export async function createApplication(
  tx: Queryable,
  context: AuditContext,
  input: CreateApplicationInput,
): Promise<Application> {
  const value = parseInput(createApplicationSchema, input, 'apps.invalid');
  let row: Row;
  try {
    ({
      rows: [row!],
    } = await tx.query<Row>(
      `insert into applications (name, type, label, logo_url, oidc_client_id, saml, saml_entity_id)
       values ($1, $2, $3, $4, $5, $6, $7) returning ${APPLICATION_COLUMNS}`,
      [
        value.name,
        value.type,
        value.label ?? null,
        value.logoUrl ?? null,
        value.oidcClientId ?? null,
        value.saml ?? null,
        value.saml?.entityId ?? null,
      ],
    ));
  } catch (error) {
    conflict(error, value);
  }
  const app = toApplication(row);
  await audit(tx, context, {
    action: 'application.create',
    target: applicationTarget(app.id),
    details: { name: app.name, type: app.type },
  });
  return app;
}

export async function updateApplication(
  tx: Queryable,
  context: AuditContext,
  id: string,
  input: UpdateApplicationInput,
  options: { ifVersion?: number } = {},
): Promise<Application> {
  const value = parseInput(updateApplicationSchema, input, 'apps.invalid');
  const current = await lockApplication(tx, id);
  if (options.ifVersion !== undefined && options.ifVersion !== current.version)
    throw new GatehouseError(
      'precondition_failed',
      'apps.version_mismatch',
      'the application changed meanwhile',
    );
  if (current.type === 'saml' && value.oidcClientId !== undefined)
    throw new GatehouseError('invalid', 'apps.invalid', 'oidcClientId: only for OIDC applications');
  if (current.type === 'oidc' && value.saml !== undefined)
    throw new GatehouseError('invalid', 'apps.invalid', 'saml: only for SAML applications');
  const next = {
    name: value.name ?? current.name,
    label: value.label === undefined ? current.label : value.label,
    logoUrl: value.logoUrl === undefined ? current.logoUrl : value.logoUrl,
    oidcClientId: value.oidcClientId ?? current.oidcClientId,
    saml: value.saml ?? current.saml,
  };
  const changed = (Object.keys(next) as (keyof typeof next)[]).filter(
    (key) => JSON.stringify(next[key]) !== JSON.stringify(current[key]),
  );
  if (changed.length === 0) return current;
  let row: Row;
  try {
    ({
      rows: [row!],
    } = await tx.query<Row>(
      `update applications set name = $2, label = $3, logo_url = $4, oidc_client_id = $5, saml = $6,
         saml_entity_id = $7, version = version + 1, updated_at = now()
       where id = $1 returning ${APPLICATION_COLUMNS}`,
      [id, next.name, next.label, next.logoUrl, next.oidcClientId, next.saml, next.saml?.entityId ?? null],
    ));
  } catch (error) {
    conflict(error, next);
  }
  await audit(tx, context, {
    action: 'application.update',
    target: applicationTarget(id),
    details: { fields: changed },
  });
  return toApplication(row);
}

export async function deleteApplication(tx: Queryable, context: AuditContext, id: string): Promise<void> {
  const app = await lockApplication(tx, id);
  await tx.query('delete from applications where id = $1', [id]);
  await audit(tx, context, {
    action: 'application.delete',
    target: applicationTarget(id),
    details: { name: app.name },
  });
}

export async function lockApplication(tx: Queryable, id: string): Promise<Application> {
  if (!isUuid(id)) throw notFound(id);
  const { rows } = await tx.query<Row>(
    `select ${APPLICATION_COLUMNS} from applications where id = $1 for update`,
    [id],
  );
  if (!rows[0]) throw notFound(id);
  return toApplication(rows[0]);
}

/** What the portal shows for an application. */
export const displayName = (app: Pick<Application, 'name' | 'label'>) => app.label ?? app.name;
