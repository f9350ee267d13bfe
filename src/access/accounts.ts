import { randomInt } from 'node:crypto';
import { type AuditContext, audit } from '../audit/audit.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import { emit } from '../directory/events.ts';
import { parseInput } from '../directory/validate.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { isUniqueViolation } from '../store/errors.ts';
import { removeAssignment } from './assignments.ts';
import {
  type AccountInput,
  type AccountUpdate,
  accountCreateSchema,
  accountUpdateSchema,
} from './schemas.ts';

export interface Account {
  id: string;
  name: string;
  email: string | null;
  tags: Record<string, string>;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

interface AccountRow {
  id: string;
  name: string;
  email: string | null;
  tags: Record<string, string>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, name, email, tags, version, created_at, updated_at';
const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  name: r.name,
  email: r.email,
  tags: r.tags,
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const accountTarget = (id: string) => `account:${id}`;
const notFound = (id: string) =>
  new GatehouseError('not_found', 'access.account_not_found', `no account ${id}`);

/** Twelve random digits, like an AWS account id (the first never 0, so it keeps its length as a number). */
const newAccountId = () => String(randomInt(1, 10)) + String(randomInt(0, 1e11)).padStart(11, '0');

export async function createAccount(
  tx: Queryable,
  context: AuditContext,
  input: AccountInput,
): Promise<Account> {
  const data = parseInput(accountCreateSchema, input, 'access.invalid');
  const id = data.id ?? newAccountId();
  let row: AccountRow;
  try {
    row = (
      await tx.query<AccountRow>(
        `insert into accounts (id, name, email, tags) values ($1, $2, $3, $4) returning ${COLUMNS}`,
        [id, data.name, data.email ?? null, data.tags],
      )
    ).rows[0]!;
  } catch (error) {
    if (isUniqueViolation(error))
      throw new GatehouseError(
        'conflict',
        'access.account_exists',
        `an account ${id} or named "${data.name}" exists already`,
      );
    throw error;
  }
  await audit(tx, context, {
    action: 'account.create',
    target: accountTarget(id),
    details: { name: data.name },
  });
  return toAccount(row!);
}

export async function findAccount(q: Queryable, id: string): Promise<Account | undefined> {
  const { rows } = await q.query<AccountRow>(`select ${COLUMNS} from accounts where id = $1`, [id]);
  return rows[0] && toAccount(rows[0]);
}

export async function getAccount(q: Queryable, id: string): Promise<Account> {
  const account = await findAccount(q, id);
  if (!account) throw notFound(id);
  return account;
}

export async function listAccounts(q: Queryable): Promise<Account[]> {
  const { rows } = await q.query<AccountRow>(`select ${COLUMNS} from accounts order by lower(name), id`);
  return rows.map(toAccount);
}

export async function updateAccount(
  tx: Queryable,
  context: AuditContext,
  id: string,
  input: AccountUpdate,
): Promise<Account> {
  const patch = parseInput(accountUpdateSchema, input, 'access.invalid');
  const current = await getAccount(tx, id);
  const fields = (['name', 'email', 'tags'] as const).filter(
    (f) => patch[f] !== undefined && canonicalJson(patch[f]) !== canonicalJson(current[f]),
  );
  if (fields.length === 0) return current;
  let row: AccountRow;
  try {
    row = (
      await tx.query<AccountRow>(
        `update accounts set name = $2, email = $3, tags = $4, version = version + 1, updated_at = now()
       where id = $1 returning ${COLUMNS}`,
        [
          id,
          patch.name ?? current.name,
          patch.email === undefined ? current.email : patch.email,
          patch.tags ?? current.tags,
        ],
      )
    ).rows[0]!;
  } catch (error) {
    if (isUniqueViolation(error))
      throw new GatehouseError(
        'conflict',
        'access.account_exists',
        `an account named "${patch.name}" exists already`,
      );
    throw error;
  }
  await audit(tx, context, { action: 'account.update', target: accountTarget(id), details: { fields } });
  return toAccount(row!);
}

/** Deletes an account with its assignments; everyone who held one loses it (assignment.removed). */
export async function deleteAccount(tx: Queryable, context: AuditContext, id: string): Promise<void> {
  const account = await getAccount(tx, id);
  await tx.query('select id from accounts where id = $1 for update', [id]);
  await emit(tx, { type: 'account.deleted', data: { accountId: id } });
  const { rows } = await tx.query<{ id: string }>('select id from assignments where account_id = $1', [id]);
  for (const r of rows) await removeAssignment(tx, context, r.id);
  await tx.query('delete from accounts where id = $1', [id]);
  await audit(tx, context, {
    action: 'account.delete',
    target: accountTarget(id),
    details: { name: account.name },
  });
}
