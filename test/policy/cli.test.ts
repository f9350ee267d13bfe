import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { policyCommand } from '../../src/policy/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-policy-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
};

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await policyCommand(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

// reference_policies_evaluation-logic.html (Carlos)
const carlos = file('carlos.json', {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowS3Self',
      Effect: 'Allow',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::carlossalazar/*', 'arn:aws:s3:::carlossalazar'],
    },
    { Sid: 'DenyS3Logs', Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::*log*' },
  ],
});
const readOnly = file('readonly.json', {
  Version: '2012-10-17',
  Statement: { Effect: 'Allow', Action: 's3:Get*', Resource: '*' },
});
const tagged = file('tagged.json', {
  Version: '2012-10-17',
  Statement: {
    Sid: 'OnlyListedTags',
    Effect: 'Allow',
    Action: 's3:*',
    Resource: 'arn:aws:s3:::${aws:username}/*',
    Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] } },
  },
});
const broken = file(
  'broken.json',
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"soon"}}}]}',
);

describe('policy validate', () => {
  test('valid files: exit 0', async () => {
    const r = await run('validate', carlos, readOnly);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${carlos}: valid inline policy`);
  });

  test('every error with its JSON path: exit 1', async () => {
    const r = await run('validate', carlos, broken);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `${broken}: Statement[2].Condition.DateLessThan.aws:TokenIssueTime: not a date`,
    );
  });

  test('--kind decides the size limit; --json', async () => {
    const statements = Array.from({ length: 40 }, (_, i) => ({
      Sid: `S${i}`,
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::bucket-${i}/*`,
    }));
    const large = file('large.json', { Version: '2012-10-17', Statement: statements });
    expect((await run('validate', '--kind', 'inline', large)).code).toBe(0);
    const r = await run('validate', '--kind', 'session', '--json', large);
    expect(r.code).toBe(1);
    const [result] = JSON.parse(r.stdout);
    expect(result.valid).toBe(false);
    expect(result.errors[0].path).toBe('$');
  });

  test('usage errors: exit 2', async () => {
    expect((await run('validate')).code).toBe(2);
    expect((await run('validate', '--kind', 'huge', carlos)).code).toBe(2);
    const missing = await run('validate', join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });
});

describe('policy simulate', () => {
  test('an explicit deny names the policy and statement', async () => {
    const r = await run(
      'simulate',
      '--policy',
      carlos,
      '--action',
      's3:PutObject',
      '--resource',
      'arn:aws:s3:::carlossalazar-logs/x',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `Decision: ExplicitDeny\nExplicitly denied by Statement[1] (Sid DenyS3Logs) of identity-based policy "${carlos}".\n`,
    );
  });

  test('several policies after one --policy, and a boundary', async () => {
    const r = await run(
      'simulate',
      '--policy',
      carlos,
      readOnly,
      '--boundary',
      readOnly,
      '--action',
      's3:GetObject',
      '--resource',
      'arn:aws:s3:::carlossalazar/x',
    );
    expect(r.stdout).toContain('Decision: Allow');
    expect(r.stdout).toContain(`within Statement[0] of permissions boundary "${readOnly}"`);
    const denied = await run(
      'simulate',
      '--policy',
      carlos,
      '--boundary',
      readOnly,
      '--action',
      's3:PutObject',
      '--resource',
      'arn:aws:s3:::carlossalazar/x',
    );
    expect(denied.stdout).toContain('Decision: ImplicitDeny');
    expect(denied.stdout).toContain('permissions boundary does not allow');
  });

  test('session policies', async () => {
    const r = await run(
      'simulate',
      '--policy',
      carlos,
      '--session-policy',
      readOnly,
      '--action',
      's3:PutObject',
      '--resource',
      'arn:aws:s3:::carlossalazar/x',
    );
    expect(r.stdout).toContain('Decision: ImplicitDeny');
    expect(r.stdout).toContain('no session policy allows');
  });

  test('--context: a repeated key is multivalued; --principal supplies aws:username; --json', async () => {
    const args = [
      'simulate',
      '--policy',
      tagged,
      '--action',
      's3:PutObject',
      '--resource',
      'arn:aws:s3:::ana/x',
      '--principal',
      'arn:aws:iam::111122223333:user/ana',
    ];
    const ok = await run(...args, '--context', 'aws:TagKeys=a', '--context', 'aws:TagKeys=b', '--json');
    const result = JSON.parse(ok.stdout);
    expect(result.decision).toBe('Allow');
    expect(result.matched).toMatchObject({ policy: tagged, statement: 0, sid: 'OnlyListedTags' });
    expect(result.request.context).toEqual({ 'aws:TagKeys': ['a', 'b'] });
    const no = await run(...args, '--context', 'aws:TagKeys=a', 'aws:TagKeys=c');
    expect(no.stdout).toContain('Decision: ImplicitDeny');
  });

  test('an invalid policy: errors and exit 1', async () => {
    const r = await run('simulate', '--policy', broken, '--action', 's3:GetObject', '--resource', '*');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Statement[2].Condition.DateLessThan.aws:TokenIssueTime');
  });

  test('usage errors: exit 2', async () => {
    expect((await run('simulate', '--action', 's3:GetObject', '--resource', '*')).code).toBe(2);
    expect((await run('simulate', '--policy', carlos, '--resource', '*')).code).toBe(2);
    expect((await run('simulate', '--policy', carlos, '--action', 'a:b')).code).toBe(2);
    expect(
      (
        await run(
          'simulate',
          '--policy',
          carlos,
          '--action',
          'a:b',
          '--resource',
          '*',
          '--context',
          'novalue',
        )
      ).code,
    ).toBe(2);
    expect(
      (await run('simulate', '--policy', carlos, '--action', 'a:b', '--action', 'c:d', '--resource', '*'))
        .code,
    ).toBe(2);
    expect((await run('simulate', '--bogus')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
    expect((await run()).code).toBe(2);
  });

  test('--help', async () => {
    for (const argv of [['--help'], ['simulate', '--help'], ['validate', '-h']]) {
      const r = await run(...argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('gatehouse policy simulate');
    }
  });
});
