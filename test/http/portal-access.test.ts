import { describe, expect, test } from 'vitest';
import { createAccount } from '../../src/access/accounts.ts';
import { createAssignment } from '../../src/access/assignments.ts';
import { createPermissionSet } from '../../src/access/permission-sets.ts';
import { appRouters } from '../../src/http/routers.ts';
import { S3_READ } from '../access/support.ts';
import { getObject, sdkSign } from '../credentials/sdk-sign.ts';
import { backends } from '../support/backends.ts';
import { startTestServer } from '../support/server.ts';
import { createPasswordUser, hidden, postForm, signIn } from '../support/signin.ts';

const PASSWORD = 'Lantern-Harbour-59!';
const admin = { actor: 'test' };

/** A value of the page's `~/.aws/credentials` block (`name = value`). */
const iniValue = (page: string, name: string) => new RegExp(`${name} = ([^\\s<&]+)`).exec(page)?.[1] ?? '';

describe.each(backends)('portal accounts and credentials on $name', (backend) => {
  test('a person gets credentials for an assignment; they verify, and die with the portal session', async () => {
    const server = await startTestServer({ backend: backend.name, routers: appRouters });
    try {
      const { db } = server.runtime;
      const alice = await createPasswordUser(db, 'alice', PASSWORD);
      const { account, developer } = await db.transaction(async (tx) => {
        const account = await createAccount(tx, admin, { id: '111122223333', name: 'Production' });
        const developer = await createPermissionSet(tx, admin, { name: 'Developer', inlinePolicy: S3_READ });
        await createAssignment(tx, admin, {
          accountId: account.id,
          permissionSetId: developer.id,
          userId: alice.id,
        });
        await createPermissionSet(tx, admin, { name: 'Unassigned', inlinePolicy: S3_READ });
        return { account, developer };
      });
      const me = await signIn({ baseUrl: server.url, userName: 'alice', password: PASSWORD });

      const portal = await (await me.jar.fetch(`${server.url}/`)).text();
      expect(portal).toContain('Production');
      expect(portal).toContain('Developer');
      const list = await me.jar.fetch(`${server.url}/access`);
      expect(list.status).toBe(200);
      const listPage = await list.text();
      const csrf = hidden(listPage, 'csrf') ?? '';

      const forged = await postForm(me.jar, `${server.url}/access/credentials`, {
        accountId: account.id,
        permissionSetId: developer.id,
      });
      expect(forged.status).toBe(403);

      const answer = await postForm(me.jar, `${server.url}/access/credentials`, {
        csrf,
        accountId: account.id,
        permissionSetId: developer.id,
      });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const page = await answer.text();
      const credentials = {
        accessKeyId: iniValue(page, 'aws_access_key_id'),
        secretAccessKey: iniValue(page, 'aws_secret_access_key'),
        sessionToken: iniValue(page, 'aws_session_token'),
      };
      expect(credentials.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
      expect(page).toMatch(
        /credential_process = gatehouse credentials --url \S+ --account 111122223333 --role Developer/,
      );

      const request = await sdkSign(credentials, 's3', getObject('reports', 'q3.csv'));
      const decision = server.runtime.access.verifier.authorize(request, {
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::reports/q3.csv',
      });
      expect(decision.ok && decision.allowed).toBe(true);

      // Not held: refused with a page, nothing issued.
      const other = await postForm(me.jar, `${server.url}/access/credentials`, {
        csrf,
        accountId: account.id,
        permissionSetId: crypto.randomUUID(),
      });
      expect(other.status).toBe(403);

      // Signing out ends the session, and with it the credentials obtained through it, everywhere.
      const out = await postForm(me.jar, `${server.url}/signout`, { csrf: hidden(portal, 'csrf') ?? '' });
      expect(out.status).toBe(303);
      const until = Date.now() + 5_000;
      let after = server.runtime.access.verifier.authenticate(request);
      while (after.ok && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 20));
        after = server.runtime.access.verifier.authenticate(request);
      }
      expect(after.ok).toBe(false);
    } finally {
      await server.stop();
    }
  });
});
