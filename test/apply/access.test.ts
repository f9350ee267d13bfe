import { describe, expect, test } from 'vitest';
import { effectiveAccess } from '../../src/access/assignments.ts';
import { findUserByName } from '../../src/directory/users.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';
import { apply, problems, withoutLines } from './support.ts';

const STATE = `
users:
  - { userName: ana, attributes: { team: blue } }
groups:
  - { name: eng, members: [user:ana] }
  - { name: org, members: [group:eng] }
accounts:
  - { id: "111122223333", name: production, tags: { env: prod } }
policies:
  - name: S3ReadOnly
    document: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: ["s3:Get*", "s3:List*"], Resource: "*" }] }
permissionSets:
  - { name: Developer, sessionDuration: PT8H, managedPolicies: [S3ReadOnly], permissionsBoundary: S3ReadOnly,
      inlinePolicy: { Version: "2012-10-17", Statement: [{ Effect: Deny, Action: "s3:DeleteObject", Resource: "*" }] } }
assignments:
  - { principal: group:org, account: "111122223333", permissionSet: Developer }
  - { principal: user:ana, account: production, permissionSet: Developer }
`;

describe.each(backends)('apply: access sections on $name', (backend) => {
  const ctx = useDb(backend);

  test('accounts, policies, permission sets and assignments in one file; idempotent; edits; prune', async () => {
    const first = await apply(ctx.db, STATE);
    expect(first.lines).toEqual([
      '+ user ana',
      '+ group eng',
      '+ group org',
      '+ member group:eng ← user:ana',
      '+ member group:org ← group:eng',
      '+ account production (111122223333)',
      '+ policy S3ReadOnly',
      '+ permission set Developer',
      '+ assignment group:org → 111122223333 / Developer',
      '+ assignment user:ana → production / Developer',
    ]);
    expect((await apply(ctx.db, STATE)).summary).toBe('0 changes');
    const ana = await findUserByName(ctx.db, 'ana');
    expect((await effectiveAccess(ctx.db, ana!.id))[0]).toMatchObject({
      accountId: '111122223333',
      permissionSetName: 'Developer',
      via: [expect.stringMatching(/^group:/), `user:${ana!.id}`],
    });

    const edited = STATE.replace('PT8H', 'PT4H')
      .replace('"s3:List*"', '"s3:List*", "s3:Head*"')
      .replace('  - { principal: user:ana, account: production, permissionSet: Developer }\n', '');
    const second = await apply(ctx.db, edited, { prune: true });
    expect(second.lines).toEqual([
      '~ policy S3ReadOnly: document',
      '~ permission set Developer: sessionDuration',
      '- assignment user:ana → 111122223333 / Developer (remove)',
    ]);
    expect((await apply(ctx.db, edited, { prune: true })).summary).toBe('0 changes');
  });

  test('problems by path: invalid policy, unknown references, root', async () => {
    const lines = withoutLines(
      await problems(
        ctx.db,
        `
policies:
  - name: Bad
    document: { Version: "2012-10-17", Statement: [{ Effect: Perhaps, Action: "*", Resource: "*" }] }
permissionSets:
  - { name: PS, managedPolicies: [Nope], sessionDuration: PT20H }
assignments:
  - { principal: user:ghost, account: "999999999999", permissionSet: Missing }
`,
      ),
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^policies\[0\]\.document\.Statement\[0\]\.Effect: /),
        expect.stringMatching(/^permissionSets\[0\]\.sessionDuration: /),
      ]),
    );
    const refs = withoutLines(
      await problems(
        ctx.db,
        `
permissionSets:
  - { name: PS, managedPolicies: [Nope] }
assignments:
  - { principal: user:ghost, account: "999999999999", permissionSet: Missing }
`,
      ),
    );
    expect(refs).toEqual([
      'permissionSets[0].managedPolicies[0]: unknown policy "Nope"',
      'assignments[0].account: unknown account "999999999999"',
      'assignments[0].permissionSet: unknown permission set "Missing"',
      'assignments[0].principal: unknown user "ghost"',
    ]);
  });
});
