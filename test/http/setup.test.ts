import { describe, expect, test } from 'vitest';
import { verifyPassword } from '../../src/auth/verify-password.ts';
import { bootstrapRoot } from '../../src/directory/bootstrap.ts';
import { appRouters } from '../../src/http/routers.ts';
import { backends } from '../support/backends.ts';
import { startTestServer } from '../support/server.ts';

function formOf(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g)) fields[m[1]!] = m[2]!;
  return fields;
}

describe.each(backends)('set-up link page on $name', (backend) => {
  test('root sets a password once through the link; errors keep the link usable; CSRF is checked', async () => {
    const server = await startTestServer({ backend: backend.name, routers: appRouters });
    try {
      const link = (await bootstrapRoot(server.runtime.db))!;
      const url = `${server.url}/setup?token=${link.token}`;
      const page = await fetch(url);
      expect(page.status).toBe(200);
      const body = await page.text();
      expect(body).toContain('<strong>root</strong>');
      expect(body).not.toContain('<script');
      const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
      expect(page.headers.get('set-cookie')).toMatch(/httponly/i);
      const fields = formOf(body);

      const post = (
        password: string,
        confirm = password,
        extra: Record<string, string> = {},
        withCookie = true,
      ) =>
        fetch(`${server.url}/setup`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(withCookie ? { cookie } : {}) },
          body: new URLSearchParams({ ...fields, password, confirm, ...extra }),
        });

      expect((await post('Castle-Gate-Keeper-26!', 'Castle-Gate-Keeper-26!', {}, false)).status).toBe(403);
      expect(
        (await post('Castle-Gate-Keeper-26!', 'Castle-Gate-Keeper-26!', { csrf: 'x'.repeat(43) })).status,
      ).toBe(403);
      const mismatch = await post('Castle-Gate-Keeper-26!', 'different-one-2026!');
      expect(mismatch.status).toBe(400);
      expect(await mismatch.text()).toContain('not the same');
      const weak = await post('password');
      expect(weak.status).toBe(400);
      expect(await weak.text()).toMatch(/role="alert"/);

      const ok = await post('Castle-Gate-Keeper-26!');
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('cannot be skipped');
      expect((await post('Another-Password-2026!')).status).toBe(404);
      expect((await fetch(url)).status).toBe(404);
      const signIn = await verifyPassword(
        server.runtime.db,
        'root',
        'Castle-Gate-Keeper-26!',
        { actor: 'anonymous' },
        { policy: server.runtime.config.passwordPolicy },
      );
      expect(signIn.outcome).toBe('ok');
      expect(server.logs.text()).not.toContain(link.token);
      expect(server.logs.text()).not.toContain('Castle-Gate-Keeper-26!');
    } finally {
      await server.stop();
    }
  });

  test('unknown or malformed tokens get a clear page, never a 500', async () => {
    const server = await startTestServer({ backend: backend.name, routers: appRouters });
    try {
      for (const query of ['', '?token=', '?token=nope', '?token[]=a', `?token=${'x'.repeat(5000)}`]) {
        const response = await fetch(`${server.url}/setup${query}`);
        expect(response.status, query).toBe(404);
        expect(await response.text()).toContain('Link not valid');
      }
      const css = await fetch(`${server.url}/assets/gatehouse.css`);
      expect(css.headers.get('content-type')).toContain('text/css');
      expect((await fetch(`${server.url}/assets/../package.json`)).status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
