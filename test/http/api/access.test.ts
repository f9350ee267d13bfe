// The access admin API and the decision API over HTTP, on the real runtime (its revocation set and
// access node): effective access, simulate, and /api/v1/authorize answering as the embedded verifier.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { openVerifier } from '../../../src/credentials/embedded.ts';
import type { IssuedCredentials } from '../../../src/credentials/issue.ts';
import type { SigV4Request } from '../../../src/credentials/sigv4.ts';
import { dynamoQuery, getObject, sdkSign } from '../../credentials/sdk-sign.ts';
import { backends } from '../../support/backends.ts';
import { errorCode, useApi } from './support.ts';

type Json = Record<string, unknown>;

const toWire = (signed: SigV4Request, body: string) => ({
  method: signed.method,
  path: signed.path,
  query: signed.query,
  headers: signed.headers as Record<string, string>,
  payloadHash: createHash('sha256').update(body).digest('hex'),
});

describe.each(backends)('access API on $name', (backend) => {
  const api = useApi(backend.name, { fast: true });

  async function setUp(suffix: string) {
    const alice = (await api.post('/users', { userName: `alice-${suffix}`, attributes: { team: 'blue' } }))
      .body;
    const team = (await api.post('/groups', { name: `team-${suffix}` })).body;
    const org = (await api.post('/groups', { name: `org-${suffix}` })).body;
    await api.put(`/groups/${org['id']}/members/groups/${team['id']}`);
    await api.put(`/groups/${team['id']}/members/users/${alice['id']}`);
    const account = await api.post('/accounts', { name: `prod-${suffix}`, tags: { env: 'prod' } });
    expect(account.status).toBe(201);
    const policy = await api.post('/policies', {
      name: `ReadReports-${suffix}`,
      document: {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'Reports', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/*' },
        ],
      },
    });
    expect(policy.status).toBe(201);
    const set = await api.post('/permission-sets', {
      name: `Analyst-${suffix}`,
      sessionDuration: 'PT1H',
      managedPolicies: [policy.body['name']],
      inlinePolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'TeamTables',
            Effect: 'Allow',
            Action: 'dynamodb:Query',
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:PrincipalTag/team': 'blue' },
              Bool: { 'aws:MultiFactorAuthPresent': 'true' },
            },
          },
        ],
      },
    });
    expect(set.status).toBe(201);
    const assignment = await api.post('/assignments', {
      accountId: account.body['id'],
      permissionSetId: set.body['id'],
      groupId: org['id'],
    });
    expect(assignment.status).toBe(201);
    return {
      alice,
      team,
      org,
      account: account.body,
      policy: policy.body,
      set: set.body,
      assignment: assignment.body,
    };
  }

  const issue = (s: Awaited<ReturnType<typeof setUp>>): Promise<IssuedCredentials> =>
    api.server.runtime.access.issuer.issue(
      {
        userId: String(s.alice['id']),
        accountId: String(s.account['id']),
        permissionSetId: String(s.set['id']),
        mfa: true,
      },
      { actor: 'test' },
    );

  const signAs = (c: IssuedCredentials, request = getObject('reports', '2026/q1.pdf'), service = 's3') =>
    sdkSign(
      { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
      service,
      request,
    );

  test('CRUD, listing and validation by JSON path', async () => {
    const s = await setUp('crud');
    expect((await api.get('/accounts')).body['accounts']).toContainEqual(
      expect.objectContaining({ id: s.account['id'] }),
    );
    expect((await api.get(`/accounts/${s.account['id']}`)).body).toMatchObject({ name: 'prod-crud' });
    expect((await api.get(`/permission-sets/${s.set['id']}`)).body).toMatchObject({
      managedPolicies: ['ReadReports-crud'],
      version: 1,
    });
    const listed = await api.get(`/assignments?groupId=${s.org['id']}`);
    expect(listed.body['assignments']).toEqual([expect.objectContaining({ id: s.assignment['id'] })]);

    const bad = await api.post('/permission-sets', {
      name: 'Broken',
      inlinePolicy: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 's3:Get', Resource: 'arn:aws:s3:::x', Condition: { Nope: {} } },
        ],
      },
    });
    expect(bad.status).toBe(400);
    expect(errorCode(bad)).toBe('access.invalid_policy');
    expect(
      (bad.body as { error: { details: { problems: { path: string }[] } } }).error.details.problems[0]!.path,
    ).toMatch(/^inlinePolicy\.Statement\[0\]\.Condition/);
    const updated = await api.patch(`/permission-sets/${s.set['id']}`, { sessionDuration: 'PT4H' });
    expect(updated.body).toMatchObject({ sessionDuration: 'PT4H', version: 2 });
    expect((await api.get('/accounts/no-such-account')).status).toBe(404);
    const readOnly = await api.call('POST', '/accounts', {
      token: api.tokens['access:read'],
      body: { name: 'x' },
    });
    expect(readOnly.status).toBe(403);
  });

  test('simulate: the decision and the statement that decided', async () => {
    const s = await setUp('sim');
    const base = { userId: s.alice['id'], accountId: s.account['id'], permissionSetId: s.set['id'] };
    const allowed = await api.post('/simulate', {
      ...base,
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::reports/a',
    });
    expect(allowed.body).toMatchObject({
      allowed: true,
      decision: 'Allow',
      assigned: true,
      statement: { policy: 'ReadReports-sim', sid: 'Reports' },
    });
    const noMfa = await api.post('/simulate', {
      ...base,
      action: 'dynamodb:Query',
      resource: 'arn:aws:dynamodb:::table/t',
      mfa: false,
    });
    expect(noMfa.body).toMatchObject({ allowed: false, decision: 'ImplicitDeny', statement: null });
  });

  test('/api/v1/authorize answers like the embedded verifier; revocation cuts credentials', async () => {
    const s = await setUp('authz');
    const runtime = api.server.runtime;
    const credentials = await issue(s);
    const signed = await signAs(credentials);
    const decide = {
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::reports/2026/q1.pdf',
      sourceIp: '198.51.100.7',
      secureTransport: true,
    };
    const body = { request: toWire(signed, ''), ...decide };
    const answer = await api.call<Json>('POST', '/authorize', { token: api.tokens.authorize, body });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      allowed: true,
      decision: 'Allow',
      error: null,
      statement: { policy: 'ReadReports-authz', sid: 'Reports', effect: 'Allow' },
      principal: {
        userId: s.alice['id'],
        accountId: s.account['id'],
        permissionSetId: s.set['id'],
        sessionId: credentials.sessionId,
        mfa: true,
      },
    });
    // The library entry point (package export gatehouse/verifier), opened as a service would:
    // its own key ring, revocation set and catalog from the same database and master key.
    const library = await openVerifier({ db: runtime.db, masterKey: runtime.masterKey.toString('base64') });
    try {
      const embedded = library.authorize(signed, decide);
      expect(embedded).toMatchObject({ ok: true, allowed: true, statement: answer.body['statement'] });
      if (embedded.ok)
        expect(answer.body['principal']).toEqual(JSON.parse(JSON.stringify(embedded.principal)));
      const denied = library.authorize(signed, { ...decide, action: 's3:PutObject' });
      const deniedHttp = await api.call<Json>('POST', '/authorize', {
        token: api.tokens.authorize,
        body: { ...body, action: 's3:PutObject' },
      });
      expect(deniedHttp.body).toMatchObject({ allowed: false, decision: 'ImplicitDeny', statement: null });
      expect(denied).toMatchObject({ ok: true, allowed: false, decision: 'ImplicitDeny' });
    } finally {
      await library.close();
    }
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(existsSync(new URL(`../../../${pkg.exports['./verifier']}`, import.meta.url))).toBe(true);

    const dynamo = dynamoQuery('team');
    const dynamoSigned = await signAs(credentials, dynamo, 'dynamodb');
    const tagged = await api.call<Json>('POST', '/authorize', {
      token: api.tokens.authorize,
      body: {
        request: toWire(dynamoSigned, dynamo.body!),
        action: 'dynamodb:Query',
        resource: 'arn:aws:dynamodb:eu-west-1:1:table/team',
      },
    });
    expect(tagged.body).toMatchObject({ allowed: true, statement: { policy: 'inline', sid: 'TeamTables' } });

    // The member leaves the group that carries the assignment: new credentials are refused and
    // the ones issued are cut (the revocation set learns it from the domain events).
    expect((await api.del(`/groups/${s.team['id']}/members/users/${s.alice['id']}`)).status).toBe(200);
    await runtime.access.feed.catchUp();
    const cut = await api.call<Json>('POST', '/authorize', {
      token: api.tokens.authorize,
      body: { request: toWire(await signAs(credentials), ''), ...decide },
    });
    expect(cut.body).toMatchObject({ allowed: false, error: { code: 'AccessDenied', status: 403 } });
    await expect(issue(s)).rejects.toMatchObject({ code: 'credentials.not_assigned' });
  });

  test('/api/v1/authorize: assignment removed → AccessDenied; user disabled → InvalidClientTokenId', async () => {
    const s = await setUp('cut');
    const runtime = api.server.runtime;
    const first = await issue(s);
    const decide = { action: 's3:GetObject', resource: 'arn:aws:s3:::reports/x' };
    const ask = async (c: IssuedCredentials) =>
      (
        await api.call<Json>('POST', '/authorize', {
          token: api.tokens.authorize,
          body: { request: toWire(await signAs(c), ''), ...decide },
        })
      ).body;
    expect(await ask(first)).toMatchObject({ allowed: true });
    expect((await api.del(`/assignments/${s.assignment['id']}`)).status).toBe(204);
    await runtime.access.feed.catchUp();
    expect(await ask(first)).toMatchObject({ allowed: false, error: { code: 'AccessDenied' } });

    await api.post('/assignments', {
      accountId: s.account['id'],
      permissionSetId: s.set['id'],
      userId: s.alice['id'],
    });
    const second = await issue(s);
    expect(await ask(second)).toMatchObject({ allowed: true });
    expect((await api.post(`/users/${s.alice['id']}/disable`)).status).toBe(200);
    await runtime.revocation.reconcile();
    expect(await ask(second)).toMatchObject({
      allowed: false,
      error: { code: 'InvalidClientTokenId', status: 403 },
    });
  });

  test('/api/v1/authorize: authentication, scope, body checks, and bad signatures never a 500', async () => {
    const s = await setUp('errors');
    const credentials = await issue(s);
    const signed = await signAs(credentials);
    const body = { request: toWire(signed, ''), action: 's3:GetObject', resource: 'arn:aws:s3:::reports/x' };
    expect((await api.call('POST', '/authorize', { body })).status).toBe(401);
    const wrongScope = await api.call('POST', '/authorize', { token: api.tokens['access:read'], body });
    expect([wrongScope.status, errorCode(wrongScope)]).toEqual([403, 'auth.insufficient_scope']);
    const invalid = await api.call('POST', '/authorize', {
      token: api.tokens.authorize,
      body: { ...body, extra: 1 },
    });
    expect([invalid.status, errorCode(invalid)]).toEqual([400, 'request.invalid']);
    const malformed = await api.call('POST', '/authorize', { token: api.tokens.authorize, body: '{' });
    expect([malformed.status, errorCode(malformed)]).toEqual([400, 'request.malformed_json']);
    const tampered = { ...body, request: { ...body.request, path: '/other.pdf' } };
    const answer = await api.call<Json>('POST', '/authorize', {
      token: api.tokens.authorize,
      body: tampered,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      allowed: false,
      error: { code: 'SignatureDoesNotMatch', status: 403 },
    });
    const unsigned = { ...body, request: { ...body.request, headers: { host: 'x' } } };
    expect(
      (await api.call<Json>('POST', '/authorize', { token: api.tokens.authorize, body: unsigned })).body,
    ).toMatchObject({
      error: { code: 'MissingAuthenticationToken' },
    });
  });
});

describe('POST /api/v1/authorize through the middleware stack (no fast path)', () => {
  const api = useApi('pglite');
  test('gives the same answer as the fast path would', async () => {
    const user = (await api.post('/users', { userName: 'slow' })).body;
    const account = (await api.post('/accounts', { name: 'slow' })).body;
    const set = (
      await api.post('/permission-sets', {
        name: 'Everything',
        inlinePolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      })
    ).body;
    await api.post('/assignments', {
      accountId: account['id'],
      permissionSetId: set['id'],
      userId: user['id'],
    });
    const c = await api.server.runtime.access.issuer.issue(
      {
        userId: String(user['id']),
        accountId: String(account['id']),
        permissionSetId: String(set['id']),
        mfa: false,
      },
      { actor: 'test' },
    );
    const signed = await sdkSign(
      { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
      's3',
      getObject('b', 'k'),
    );
    const answer = await api.call<Json>('POST', '/authorize', {
      token: api.tokens.authorize,
      body: { request: toWire(signed, ''), action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' },
    });
    expect(answer.body).toMatchObject({
      allowed: true,
      decision: 'Allow',
      statement: { policy: 'inline', statement: 0 },
    });
  });
});
