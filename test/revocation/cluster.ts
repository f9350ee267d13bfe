// A Gatehouse cluster for revocation tests: `gatehouse serve` processes on their own ports over one
// PostgreSQL database, sharing a master key, plus the test's own connection to that database (to
// seed, to mint credentials as any node would, and to read the audit log).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createAccount } from '../../src/access/accounts.ts';
import { createAssignment } from '../../src/access/assignments.ts';
import { createPermissionSet } from '../../src/access/permission-sets.ts';
import { createCredentialIssuer } from '../../src/credentials/issue.ts';
import { openKeyRing } from '../../src/keys/keyring.ts';
import type { Db } from '../../src/store/db.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { freePort, serveProcess, tempDir } from '../support/server.ts';

export const ACCOUNT = '111122223333';
export const SET_NAME = 'Developer';
const admin = { actor: 'test' };

export type Node = ReturnType<typeof serveProcess> & { name: string; url: string; port: number; cwd: string };

export interface Cluster {
  db: Db;
  masterKey: Buffer;
  nodes: Node[];
  env: Record<string, string>;
  /** Starts (or restarts) node i on its port, waits until /readyz answers 200. */
  start(i: number): Promise<Node>;
  close(): Promise<void>;
}

export async function startCluster(options: {
  databaseUrl: string;
  names: string[];
  yaml?: string;
  env?: Record<string, string>;
}): Promise<Cluster> {
  const masterKey = randomBytes(32);
  const env = {
    DATABASE_URL: options.databaseUrl,
    GATEHOUSE_MASTER_KEY: masterKey.toString('hex'),
    GATEHOUSE_MFA_POLICY: 'optional',
    GATEHOUSE_LOG_LEVEL: 'info',
    GATEHOUSE_HOST: '127.0.0.1',
    ...options.env,
  };
  const ports = await Promise.all(options.names.map(() => freePort()));
  const cwds = options.names.map(() => tempDir('gh-rev-node-'));
  for (const cwd of cwds) if (options.yaml) writeFileSync(join(cwd, 'gatehouse.yaml'), options.yaml);
  const nodes: Node[] = [];
  const start = async (i: number) => {
    const port = ports[i]!;
    const url = `http://127.0.0.1:${port}`;
    const proc = serveProcess(
      { ...env, PORT: String(port), GATEHOUSE_URL: url, GATEHOUSE_DATA_DIR: join(cwds[i]!, 'data') },
      cwds[i]!,
    );
    const node = Object.assign(proc, { name: options.names[i]!, url, port, cwd: cwds[i]! });
    nodes[i] = node;
    await node.waitReady(url, 90_000);
    return node;
  };
  // The first node migrates alone; the others start together.
  await start(0);
  await Promise.all(options.names.slice(1).map((_, i) => start(i + 1)));
  const db = await openPostgres({
    url: options.databaseUrl,
    poolSize: 4,
    connectTimeout: 5_000,
    statementTimeout: 30_000,
  });
  return {
    db,
    masterKey,
    nodes,
    env,
    start,
    async close() {
      await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
      await db.close().catch(() => {});
    },
  };
}

/** An account, a permission set allowing GetCallerIdentity, and assignments to the given users. */
export async function seedAccess(db: Db, userIds: string[]) {
  return db.transaction(async (tx) => {
    const account = await createAccount(tx, admin, { id: ACCOUNT, name: 'production' });
    const set = await createPermissionSet(tx, admin, {
      name: SET_NAME,
      sessionDuration: 'PT1H',
      inlinePolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }],
      },
    });
    for (const userId of userIds)
      await createAssignment(tx, admin, { accountId: account.id, permissionSetId: set.id, userId });
    return { account, set };
  });
}

export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** Mints credentials as a node's issuer does (same database, same master key). */
export async function mintCredentials(
  cluster: Cluster,
  userId: string,
  permissionSetId: string,
): Promise<Keys> {
  const keys = await openKeyRing(cluster.db, cluster.masterKey);
  const issuer = createCredentialIssuer(cluster.db, keys);
  const issued = await issuer.issue(
    { userId, accountId: ACCOUNT, permissionSetId, mfa: false },
    { actor: 'test' },
  );
  return {
    accessKeyId: issued.AccessKeyId,
    secretAccessKey: issued.SecretAccessKey,
    sessionToken: issued.SessionToken,
  };
}

/** AssumeRoleWithWebIdentity on a node with an ID token of a first-party client. */
export async function assumeRole(url: string, idToken: string): Promise<Keys> {
  const sts = new STSClient({ region: 'us-east-1', endpoint: `${url}/aws/sts` });
  const answer = await sts.send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/${SET_NAME}`,
      RoleSessionName: 'e2e',
      WebIdentityToken: idToken,
    }),
  );
  const c = answer.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

/** GetCallerIdentity through a node: 'ok', or the AWS error code it answered. */
export async function callerIdentity(url: string, keys: Keys): Promise<string> {
  const sts = new STSClient({
    region: 'us-east-1',
    endpoint: `${url}/aws/sts`,
    credentials: keys,
    maxAttempts: 1,
  });
  try {
    await sts.send(new GetCallerIdentityCommand({}));
    return 'ok';
  } catch (error) {
    return (error as { name?: string }).name ?? String(error);
  }
}

/** Polls `probe` until it returns a value (not undefined); throws after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** A metric's value from a node's /metrics (undefined when absent). */
export async function metric(url: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : undefined;
}
