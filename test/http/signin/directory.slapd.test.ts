// Directory users through the sign-in pages: the password is checked by a bind against slapd.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { findUserByName } from '../../../src/directory/users.ts';
import { appRouters } from '../../../src/http/routers.ts';
import { syncConnector } from '../../../src/sync/run.ts';
import { backends } from '../../support/backends.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { CookieJar, hidden, postForm, signIn } from '../../support/signin.ts';
import {
  BASE_DN,
  groupLdif,
  personLdif,
  SERVICE_DN,
  SERVICE_PASSWORD,
  type Slapd,
  startSlapd,
  userDn,
} from '../../support/slapd.ts';

let slapd: Slapd;
beforeAll(async () => {
  slapd = await startSlapd({
    ldif:
      personLdif('carol', { displayName: 'Carol Chen' }) +
      personLdif('dan') +
      groupLdif('staff', [userDn('carol')]),
  });
});
afterAll(() => slapd?.stop());

describe.each(backends)('directory users sign in on $name', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      backend: backend.name,
      routers: appRouters,
      env: { GATEHOUSE_MFA_POLICY: 'optional' },
      yaml: stringify({
        connectors: [
          {
            id: 'corp',
            type: 'ldap',
            urls: [slapd.url],
            bindDN: SERVICE_DN,
            bindPassword: SERVICE_PASSWORD,
            tls: { caFile: slapd.caFile, startTLS: true },
            dialect: 'openldap',
            userSearch: { baseDN: `ou=people,${BASE_DN}` },
            groupSearch: { baseDN: `ou=groups,${BASE_DN}` },
          },
        ],
      }),
    });
    const connector = server.runtime.connectors[0]!;
    await syncConnector({ db: server.runtime.db }, connector, { kind: 'full', trigger: 'cli' });
  });
  afterAll(() => server?.stop());

  test('the directory checks the password; the portal shows the synced profile, no password form', async () => {
    expect((await findUserByName(server.runtime.db, 'carol'))?.source).toBe('ldap:corp');
    const signedIn = await signIn({ baseUrl: server.url, userName: 'carol', password: 'carol-password' });
    expect(signedIn.location).toBe('/');
    const page = await (await signedIn.jar.fetch(`${server.url}/`)).text();
    expect(page).toContain('Hello, Carol Chen');
    expect(page).toContain('ldap:corp');
    expect(page).toContain('staff');
    expect(page).toContain('managed by your organisation’s directory');
    expect((await signedIn.jar.fetch(`${server.url}/portal/password`)).status).toBe(409);
  });

  test('a wrong directory password gets the generic message', async () => {
    const jar = new CookieJar();
    const form = await (await jar.fetch(`${server.url}/signin`)).text();
    const response = await postForm(jar, `${server.url}/signin`, {
      csrf: hidden(form, 'csrf')!,
      return_to: '/',
      username: 'dan',
      password: 'not-dans-password',
    });
    expect(response.status).toBe(401);
    expect(await response.text()).toContain('That user name and password did not work');
  });
});
