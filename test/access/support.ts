import { randomBytes } from 'node:crypto';
import { createAccount } from '../../src/access/accounts.ts';
import { createAssignment } from '../../src/access/assignments.ts';
import { createPermissionSet } from '../../src/access/permission-sets.ts';
import { createPolicy } from '../../src/access/policies.ts';
import type { AuditContext } from '../../src/audit/audit.ts';
import { createGroup } from '../../src/directory/groups.ts';
import { addMember } from '../../src/directory/members.ts';
import { createUser } from '../../src/directory/users.ts';
import { ensureKeys, openKeyRing } from '../../src/keys/keyring.ts';
import type { RevocationReason, RevocationSubject, RevocationView } from '../../src/revocation/types.ts';
import type { Db } from '../../src/store/db.ts';

export const admin: AuditContext = { actor: 'test', ip: '192.0.2.1', requestId: 'req-access' };

/** A small in-memory revocation view for unit tests: rules the test sets, checked like the real one. */
export function testRevocation() {
  const users = new Map<string, number>();
  const sessions = new Set<string>();
  const assignments = new Set<string>();
  let stale = false;
  const view: RevocationView = {
    check(subject: RevocationSubject): RevocationReason | undefined {
      if (stale) return 'stale';
      const after = users.get(subject.userId);
      if (after !== undefined && subject.issuedAt < after) return 'user';
      if (subject.sessionId && sessions.has(subject.sessionId)) return 'session';
      if (assignments.has(`${subject.userId}/${subject.accountId}/${subject.permissionSetId}`))
        return 'assignment';
      return undefined;
    },
  };
  return {
    view,
    revokeUser: (userId: string, at = Date.now() + 1) => users.set(userId, at),
    revokeSession: (id: string) => sessions.add(id),
    removeAssignment: (userId: string, accountId: string, permissionSetId: string) =>
      assignments.add(`${userId}/${accountId}/${permissionSetId}`),
    setStale: (value: boolean) => {
      stale = value;
    },
  };
}

const masters = new WeakMap<Db, Buffer>();

/** The real key ring, on the test database (one master key per database). */
export async function keyRing(db: Db) {
  let master = masters.get(db);
  if (!master) {
    master = randomBytes(32);
    masters.set(db, master);
  }
  await ensureKeys(db, master);
  return openKeyRing(db, master);
}

export const S3_READ = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'Read', Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: '*' }],
};

/**
 * alice ∈ devs ∈ engineering; engineering holds Developer in production; bob holds it directly.
 * Names carry a suffix so one database serves several tests.
 */
export async function seedAccess(db: Db, suffix: string) {
  return db.transaction(async (tx) => {
    const alice = await createUser(tx, admin, { userName: `alice-${suffix}`, attributes: { team: 'blue' } });
    const bob = await createUser(tx, admin, { userName: `bob-${suffix}` });
    const carol = await createUser(tx, admin, { userName: `carol-${suffix}` });
    const engineering = await createGroup(tx, admin, { name: `engineering-${suffix}` });
    const devs = await createGroup(tx, admin, { name: `devs-${suffix}` });
    await addMember(tx, admin, engineering.id, { groupId: devs.id });
    await addMember(tx, admin, devs.id, { userId: alice.id });
    const account = await createAccount(tx, admin, { name: `production-${suffix}` });
    const policy = await createPolicy(tx, admin, { name: `S3Read-${suffix}`, document: S3_READ });
    const developer = await createPermissionSet(tx, admin, {
      name: `Developer-${suffix}`,
      sessionDuration: 'PT8H',
      managedPolicies: [policy.name],
      inlinePolicy: {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'NoSecrets', Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::secrets/*' },
          {
            Sid: 'OwnTeam',
            Effect: 'Allow',
            Action: 'dynamodb:Query',
            Resource: '*',
            Condition: { StringEquals: { 'aws:PrincipalTag/team': 'blue' } },
          },
        ],
      },
    });
    const groupAssignment = await createAssignment(tx, admin, {
      accountId: account.id,
      permissionSetId: developer.id,
      groupId: engineering.id,
    });
    await createAssignment(tx, admin, {
      accountId: account.id,
      permissionSetId: developer.id,
      userId: bob.id,
    });
    return { alice, bob, carol, engineering, devs, account, policy, developer, groupAssignment };
  });
}
