import { describe, expect, test } from 'vitest';
import {
  accessPage,
  credentialsPage,
  credentialTexts,
  groupByAccount,
  profileName,
} from '../../views/credentials.ts';

const access = [
  {
    accountId: '111122223333',
    accountName: 'production',
    permissionSetId: 'ps-1',
    permissionSetName: 'Developer',
    sessionDuration: 'PT8H',
  },
  {
    accountId: '111122223333',
    accountName: 'production',
    permissionSetId: 'ps-2',
    permissionSetName: 'ReadOnly',
    sessionDuration: 'PT1H',
  },
  {
    accountId: 'lab-01',
    accountName: '<lab & "co">',
    permissionSetId: 'ps-1',
    permissionSetName: 'Developer',
    sessionDuration: 'PT8H',
  },
];
const credentials = {
  AccessKeyId: 'ASIAABCDEFGHIJKLMNOP',
  SecretAccessKey: "abc/def+ghi'jkl0123456789012345678901234",
  SessionToken: 'gh1.seal-x.v1.AAAA.BBBB',
  Expiration: '2026-11-29T22:00:00.000Z',
};

describe('portal access views', () => {
  test('accounts → permission sets, each with its own form; text is escaped', () => {
    expect(groupByAccount(access).map((a) => [a.accountId, a.sets.map((s) => s.permissionSetName)])).toEqual([
      ['111122223333', ['Developer', 'ReadOnly']],
      ['lab-01', ['Developer']],
    ]);
    const text = accessPage({ userName: 'alice', access, csrf: 'tok"en', action: '/portal/credentials' });
    expect(text.match(/<form /g)).toHaveLength(3);
    expect(text).toContain('&lt;lab &amp; &quot;co&quot;&gt;');
    expect(text).not.toContain('<lab');
    expect(text).toContain('value="tok&quot;en"');
    expect(text).toContain('name="permissionSetId" value="ps-2"');
    expect(accessPage({ userName: 'bob', access: [], csrf: 'c', action: '/x' })).toContain(
      'no access to any account',
    );
  });

  test('credentials as environment variables, a credentials file block and a credential_process profile', () => {
    const view = {
      accountId: '111122223333',
      accountName: 'production',
      permissionSetName: 'Developer',
      credentials,
      url: 'https://id.example.com',
      region: 'eu-west-1',
    };
    const texts = credentialTexts(view);
    expect(texts.env).toBe(
      [
        "export AWS_ACCESS_KEY_ID='ASIAABCDEFGHIJKLMNOP'",
        "export AWS_SECRET_ACCESS_KEY='abc/def+ghi'\\''jkl0123456789012345678901234'",
        "export AWS_SESSION_TOKEN='gh1.seal-x.v1.AAAA.BBBB'",
        "export AWS_REGION='eu-west-1'",
      ].join('\n'),
    );
    expect(texts.file).toBe(
      [
        '[production-Developer]',
        'aws_access_key_id = ASIAABCDEFGHIJKLMNOP',
        "aws_secret_access_key = abc/def+ghi'jkl0123456789012345678901234",
        'aws_session_token = gh1.seal-x.v1.AAAA.BBBB',
        'region = eu-west-1',
      ].join('\n'),
    );
    expect(texts.process).toBe(
      [
        '[profile production-Developer]',
        'credential_process = gatehouse credentials --url https://id.example.com --account 111122223333 --role Developer',
        'region = eu-west-1',
      ].join('\n'),
    );
    const page = credentialsPage(view);
    expect(page).toContain('abc/def+ghi&#39;jkl');
    expect(page).toContain('2026-11-29T22:00:00.000Z');
    expect(profileName('<lab & co>', 'Read Only')).toBe('lab-co-Read-Only');
  });
});
