// Gatehouse credentials end to end: issued by the domain, signed by the real AWS SDK v3 signer,
// verified by the embedded verifier; every way of being wrong answers its AWS error, never a 500.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openCatalog, type PermissionSetCatalog } from '../../src/access/catalog.ts';
import { updatePermissionSet } from '../../src/access/permission-sets.ts';
import { createCredentialIssuer, type IssuedCredentials } from '../../src/credentials/issue.ts';
import { createDerivedKeys, mintCredentials } from '../../src/credentials/session-token.ts';
import type { SigV4Request } from '../../src/credentials/sigv4.ts';
import { type AccessVerifier, createAccessVerifier } from '../../src/credentials/verifier.ts';
import type { KeyRing } from '../../src/keys/keyring.ts';
import { admin, keyRing, seedAccess, testRevocation } from '../access/support.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';
import { dynamoQuery, getObject, sdkSign } from './sdk-sign.ts';

const sdkCredentials = (c: IssuedCredentials) => ({
  accessKeyId: c.AccessKeyId,
  secretAccessKey: c.SecretAccessKey,
  sessionToken: c.SessionToken,
});

describe.each(backends)('credential verifier on $name', (backend) => {
  const ctx = useDb(backend);
  let keys: KeyRing;
  let catalog: PermissionSetCatalog;
  let seed: Awaited<ReturnType<typeof seedAccess>>;
  let alice: IssuedCredentials;
  let bob: IssuedCredentials;
  const revocation = testRevocation();
  let now = Date.now();
  let verifier: AccessVerifier;

  beforeAll(async () => {
    keys = await keyRing(ctx.db);
    seed = await seedAccess(ctx.db, 'verify');
    catalog = await openCatalog(ctx.db);
    const issuer = createCredentialIssuer(ctx.db, keys);
    const base = { accountId: seed.account.id, permissionSetId: seed.developer.id };
    alice = await issuer.issue({ ...base, userId: seed.alice.id, mfa: true }, admin);
    bob = await issuer.issue({ ...base, userId: seed.bob.id, mfa: false }, admin);
    verifier = createAccessVerifier({
      keys,
      revocation: revocation.view,
      permissionSets: catalog,
      now: () => now,
      sigv4: { allowUnsignedPayload: true },
    });
  });
  afterAll(() => catalog?.close());

  const sign = (
    c: IssuedCredentials,
    request = getObject('reports', 'q1.pdf'),
    service = 's3',
    date = new Date(now),
  ) => sdkSign(sdkCredentials(c), service, request, { date });
  const s3Get = { action: 's3:GetObject', resource: 'arn:aws:s3:::reports/q1.pdf' };

  test('a request signed by the AWS SDK v3 with Gatehouse credentials verifies and is allowed', async () => {
    const result = verifier.authorize(await sign(alice), { ...s3Get, sourceIp: '203.0.113.9' });
    expect(result).toMatchObject({
      ok: true,
      allowed: true,
      decision: 'Allow',
      statement: { policy: seed.policy.name, policyType: 'identity', statement: 0, sid: 'Read' },
      principal: {
        userId: seed.alice.id,
        userName: seed.alice.userName,
        accountId: seed.account.id,
        permissionSetId: seed.developer.id,
        permissionSetName: seed.developer.name,
        arn: `arn:aws:sts::${seed.account.id}:assumed-role/${seed.developer.name}/${seed.alice.userName}`,
        mfa: true,
      },
    });
  });

  test('the decision sees the context keys: deny statements, principal tags, MFA', async () => {
    const secret = await sign(alice, getObject('secrets', 'key.pem'));
    expect(
      verifier.authorize(secret, { action: 's3:GetObject', resource: 'arn:aws:s3:::secrets/key.pem' }),
    ).toMatchObject({
      allowed: false,
      decision: 'ExplicitDeny',
      statement: { policy: 'inline', sid: 'NoSecrets' },
    });
    const query = { action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:eu-west-1:1:table/t' };
    expect(verifier.authorize(await sign(alice, dynamoQuery('t'), 'dynamodb'), query)).toMatchObject({
      allowed: true,
      statement: { sid: 'OwnTeam' },
    });
    expect(verifier.authorize(await sign(bob, dynamoQuery('t'), 'dynamodb'), query)).toMatchObject({
      allowed: false,
      decision: 'ImplicitDeny',
    });
  });

  const codeOf = (result: ReturnType<AccessVerifier['authorize']>) => (result.ok ? 'ok' : result.code);

  test('tampered signature, wrong secret, missing or foreign token → their AWS error codes', async () => {
    const good = await sign(alice);
    const auth = String(good.headers['authorization']);
    const flipped = auth.slice(0, -1) + (auth.endsWith('0') ? '1' : '0');
    expect(
      codeOf(verifier.authorize({ ...good, headers: { ...good.headers, authorization: flipped } }, s3Get)),
    ).toBe('SignatureDoesNotMatch');
    const wrongSecret = await sdkSign(
      { ...sdkCredentials(alice), secretAccessKey: bob.SecretAccessKey },
      's3',
      getObject('reports', 'q1.pdf'),
      { date: new Date(now) },
    );
    expect(codeOf(verifier.authorize(wrongSecret, s3Get))).toBe('SignatureDoesNotMatch');
    // Bob's token with Alice's key id: the token is bound to its access key id.
    const swapped = await sdkSign(
      { ...sdkCredentials(alice), sessionToken: bob.SessionToken },
      's3',
      getObject('reports', 'q1.pdf'),
      { date: new Date(now) },
    );
    expect(codeOf(verifier.authorize(swapped, s3Get))).toBe('InvalidClientTokenId');
    const noToken = await sdkSign(
      { accessKeyId: alice.AccessKeyId, secretAccessKey: alice.SecretAccessKey },
      's3',
      getObject('reports', 'q1.pdf'),
      { date: new Date(now) },
    );
    expect(codeOf(verifier.authorize(noToken, s3Get))).toBe('InvalidClientTokenId');
  });

  test('an unknown key id, or a token sealed under another key ring → InvalidClientTokenId', async () => {
    const unknownKid = alice.SessionToken.replace(/^gh1\.[^.]+\./, 'gh1.seal-unknownkid00.');
    const request = await sdkSign(
      { ...sdkCredentials(alice), sessionToken: unknownKid },
      's3',
      getObject('r', 'k'),
      {
        date: new Date(now),
      },
    );
    expect(codeOf(verifier.authorize(request, s3Get))).toBe('InvalidClientTokenId');

    // Another installation's sealing key that happens to carry the same key id.
    const current = keys.sealingKey();
    const foreign = { kid: current.kid, key: randomBytes(32) };
    const forged = mintCredentials(
      createDerivedKeys({ sealingKey: () => foreign, sealingKeyById: () => foreign }),
      {
        userId: seed.alice.id,
        userName: seed.alice.userName,
        accountId: seed.account.id,
        permissionSetId: seed.developer.id,
        permissionSetVersion: 1,
        sessionId: 'forged',
        issuedAt: now,
        expiresAt: now + 3600_000,
        mfa: true,
        tags: {},
      },
    );
    const forgedRequest = await sdkSign(
      {
        accessKeyId: forged.accessKeyId,
        secretAccessKey: forged.secretAccessKey,
        sessionToken: forged.sessionToken,
      },
      's3',
      getObject('r', 'k'),
      { date: new Date(now) },
    );
    expect(codeOf(verifier.authorize(forgedRequest, s3Get))).toBe('InvalidClientTokenId');
  });

  test('expired credentials → ExpiredToken; clock skew beyond 15 minutes → SignatureDoesNotMatch', async () => {
    const saved = now;
    try {
      now = Date.parse(alice.Expiration) + 1000;
      expect(codeOf(verifier.authorize(await sign(alice), s3Get))).toBe('ExpiredToken');
      now = saved;
      const skewed = await sign(alice, getObject('reports', 'q1.pdf'), 's3', new Date(now - 16 * 60_000));
      const result = verifier.authorize(skewed, s3Get);
      expect(result).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch', status: 403 });
      if (!result.ok) expect(result.message).toMatch(/Signature expired/);
    } finally {
      now = saved;
    }
  });

  test('revocation: user disabled, session revoked, assignment removed, stale view', async () => {
    const request = await sign(alice);
    revocation.setStale(true);
    expect(codeOf(verifier.authorize(request, s3Get))).toBe('ServiceUnavailable');
    revocation.setStale(false);
    revocation.removeAssignment(seed.bob.id, seed.account.id, seed.developer.id);
    expect(codeOf(verifier.authorize(await sign(bob), s3Get))).toBe('AccessDenied');
    revocation.revokeSession(bob.sessionId);
    expect(codeOf(verifier.authorize(await sign(bob), s3Get))).toBe('InvalidClientTokenId');
    // The user was disabled after the credentials were issued (validAfter moved past issue time).
    revocation.revokeUser(seed.alice.id, Date.parse(alice.Expiration));
    expect(codeOf(verifier.authorize(request, s3Get))).toBe('InvalidClientTokenId');
  });

  test('a changed permission set cuts credentials issued under the old version', async () => {
    const issuer = createCredentialIssuer(ctx.db, keys);
    await ctx.db.transaction((tx) =>
      tx.query('insert into assignments (account_id, permission_set_id, user_id) values ($1, $2, $3)', [
        seed.account.id,
        seed.developer.id,
        seed.carol.id,
      ]),
    );
    const carol = await issuer.issue(
      { userId: seed.carol.id, accountId: seed.account.id, permissionSetId: seed.developer.id, mfa: false },
      admin,
    );
    expect(verifier.authorize(await sign(carol), s3Get)).toMatchObject({ allowed: true });
    await ctx.db.transaction((tx) =>
      updatePermissionSet(tx, admin, seed.developer.id, { description: 'v2' }),
    );
    await catalog.refresh();
    expect(codeOf(verifier.authorize(await sign(carol), s3Get))).toBe('AccessDenied');
  });

  test('garbage never throws', () => {
    const junk: SigV4Request[] = [
      { method: 'GET', path: '/', query: '', headers: {} },
      {
        method: 'GET',
        path: '/',
        query: '',
        headers: { host: 'x', authorization: 'AWS4-HMAC-SHA256 nonsense' },
      },
      {
        method: 'GET',
        path: '/',
        query: 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token=gh1.x.v1.AAAA.BBBB',
        headers: { host: 'x' },
      },
    ];
    for (const request of junk) {
      const result = verifier.authorize(request, s3Get);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.status).toBeLessThan(500);
    }
  });
});
