// The small parts of the AWS front doors and the CLI that need no server.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { pollPace } from '../../../providers/aws/poll-pace.ts';
import { parseQueryRequest } from '../../../providers/aws/query.ts';
import { queryError, queryResponse } from '../../../providers/aws/xml.ts';
import { needsRefresh, readToken, writeToken } from '../../../src/cli/token-cache.ts';
import { tempDir } from '../../support/server.ts';

describe('awsQuery and XML', () => {
  test('parameters from the body and the query; Action and Version apart; a repeated name refused', () => {
    const request = parseQueryRequest('Version=2011-06-15', 'Action=AssumeRoleWithWebIdentity&RoleArn=a%2Fb');
    expect(request.action).toBe('AssumeRoleWithWebIdentity');
    expect(request.version).toBe('2011-06-15');
    expect(Object.fromEntries(request.params)).toEqual({ RoleArn: 'a/b' });
    expect(() => parseQueryRequest('', 'Action=A&Action=B')).toThrow(/twice/);
    expect(() => parseQueryRequest('', 'Version=1')).toThrow(
      expect.objectContaining({ code: 'MissingAction' }),
    );
  });

  test('values are escaped; absent members are left out', () => {
    const xml = queryResponse('GetCallerIdentity', { Arn: 'a<b>&"c\'', UserId: undefined }, 'req-1');
    expect(xml).toBe(
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
        '<Arn>a&lt;b&gt;&amp;&quot;c&apos;</Arn></GetCallerIdentityResult><ResponseMetadata><RequestId>req-1</RequestId>' +
        '</ResponseMetadata></GetCallerIdentityResponse>\n',
    );
    expect(queryError('Sender', 'InvalidAction', '<x>', 'r')).toContain(
      '<Error><Type>Sender</Type><Code>InvalidAction</Code><Message>&lt;x&gt;</Message></Error><RequestId>r</RequestId>',
    );
  });
});

describe('slow_down pacing', () => {
  test('a poll sooner than the interval is too soon; each code is paced on its own', () => {
    let now = 0;
    const pace = pollPace(5_000, () => now);
    expect(pace.tooSoon('a')).toBe(false);
    now = 1_000;
    expect(pace.tooSoon('a')).toBe(true);
    expect(pace.tooSoon('b')).toBe(false);
    now = 6_500;
    expect(pace.tooSoon('a')).toBe(false);
  });
});

describe('the CLI token cache', () => {
  test('kept per server, folder 0700 and file 0600, replaced whole; refreshed with less than 5 minutes left', () => {
    const home = join(tempDir(), 'gh');
    const token = {
      accessToken: 'a',
      refreshToken: 'r',
      expiresAt: 1_000_000,
      tokenEndpoint: 'https://x/oidc/token',
    };
    writeToken(home, 'https://one', token);
    writeToken(home, 'https://two', { ...token, accessToken: 'b' });
    expect(readToken(home, 'https://one')?.accessToken).toBe('a');
    expect(readToken(home, 'https://two')?.accessToken).toBe('b');
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'tokens.json')).mode & 0o777).toBe(0o600);
    writeToken(home, 'https://one', undefined);
    expect(readToken(home, 'https://one')).toBeUndefined();
    expect(needsRefresh(token, 1_000_000 - 4 * 60_000)).toBe(true);
    expect(needsRefresh(token, 1_000_000 - 6 * 60_000)).toBe(false);
  });

  test('a missing or damaged cache reads as empty', () => {
    const home = tempDir();
    expect(readToken(home, 'https://one')).toBeUndefined();
  });
});
