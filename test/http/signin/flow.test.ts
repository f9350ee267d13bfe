import { describe, expect, test } from 'vitest';
import { appRouters } from '../../../src/http/routers.ts';
import { backends } from '../../support/backends.ts';
import { startTestServer } from '../../support/server.ts';
import { CookieJar, createPasswordUser, signIn } from '../../support/signin.ts';

const PASSWORD = 'Lantern-Harbour-59!';

describe.each(backends)('sign-in over HTTP on $name', (backend) => {
  test('first sign-in enrols TOTP, the next one asks for a code; the portal needs a session', async () => {
    const server = await startTestServer({ backend: backend.name, routers: appRouters });
    try {
      await createPasswordUser(server.runtime.db, 'alice', PASSWORD, { displayName: 'Alice Anderson' });
      const anonymous = await new CookieJar().fetch(`${server.url}/`);
      expect(anonymous.status).toBe(303);
      expect(anonymous.headers.get('location')).toBe('/signin?return_to=%2F');

      const first = await signIn({ baseUrl: server.url, userName: 'alice', password: PASSWORD });
      expect(first.totpSecret).toMatch(/^[A-Z2-7]+$/);
      expect(first.recoveryCodes).toHaveLength(10);
      expect(first.location).toBe('/');
      const portal = await first.jar.fetch(`${server.url}/`);
      expect(portal.status).toBe(200);
      expect(await portal.text()).toContain('Hello, Alice Anderson');

      const second = await signIn({
        baseUrl: server.url,
        userName: 'alice',
        password: PASSWORD,
        totpSecret: first.totpSecret,
        returnTo: '/portal/password',
      });
      expect(second.location).toBe('/portal/password');
      expect((await second.jar.fetch(`${server.url}/portal/password`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
