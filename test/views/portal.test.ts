import { describe, expect, test } from 'vitest';
import { type PortalView, portalPage } from '../../views/portal.ts';

const base: PortalView = {
  csrf: 'c'.repeat(43),
  profile: {
    userName: 'alice',
    displayName: 'Alice <b>Anderson</b>',
    emails: ['alice@example.com'],
    source: 'builtin',
    groups: ['platform'],
    administrator: false,
  },
  devices: [],
  recoveryCodesLeft: 0,
  mfaRequired: false,
  canChangePassword: true,
  sessions: [],
  accounts: [],
  applications: [],
};

describe('portal page', () => {
  test('accounts and applications render from data given to the page, escaped', () => {
    const page = portalPage({
      ...base,
      accounts: [
        {
          id: '111122223333',
          name: 'production',
          permissionSets: [
            { name: 'Developer', href: '/portal/accounts/111122223333/Developer' },
            { name: 'ReadOnly' },
          ],
        },
      ],
      applications: [{ name: 'Grafana <script>', href: '/saml/apps/1/start', description: 'dashboards' }],
    });
    expect(page).toContain('<strong>production</strong> (111122223333)');
    expect(page).toContain('<a href="/portal/accounts/111122223333/Developer">Developer</a>');
    expect(page).toContain('<a href="/saml/apps/1/start">Grafana &lt;script&gt;</a> — dashboards');
    expect(page).toContain('Hello, Alice &lt;b&gt;Anderson&lt;/b&gt;');
    expect(page).not.toContain('<script');
  });

  test('empty sections say so; every form carries the CSRF token', () => {
    const page = portalPage({
      ...base,
      devices: [{ id: 'd1', label: 'Phone', createdAt: new Date(0), lastUsedAt: null }],
      mfaRequired: true,
      sessions: [{ id: 's1', current: true, createdAt: new Date(0), lastSeenAt: new Date(0), mfa: true }],
    });
    expect(page).toContain('No accounts assigned to you yet.');
    expect(page).toContain('No applications assigned to you yet.');
    const forms = page.match(/<form /g)!.length;
    expect(page.match(new RegExp(`name="csrf" value="${'c'.repeat(43)}"`, 'g'))).toHaveLength(forms);
    // The only authenticator cannot be removed while MFA is required.
    expect(page).toMatch(/disabled title="Your only authenticator/);
  });
});
