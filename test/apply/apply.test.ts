import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { type AuditContext, readAudit, verifyAudit } from '../../src/audit/audit.ts';
import { bootstrapRoot } from '../../src/directory/bootstrap.ts';
import { readEvents } from '../../src/directory/events.ts';
import { createGroup, findGroupByName } from '../../src/directory/groups.ts';
import { addMember, effectiveGroups, listMembers } from '../../src/directory/members.ts';
import { createUser, findUserByName, getUser, updateUser } from '../../src/directory/users.ts';
import { GatehouseError } from '../../src/errors.ts';
import type { Db } from '../../src/store/db.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';
import { apply, auditHead, HASH_A, HASH_B, problems, stateDir, withoutLines } from './support.ts';

const admin: AuditContext = { actor: 'test' };

const V1 = `
users:
  - { userName: alice, displayName: Alice Anderson, emails: [alice@example.com],
      passwordHash: "${HASH_A}", attributes: { team: blue } }
  - userName: bob
    givenName: Bob
    status: disabled
groups:
  - { name: sre, description: On call, members: [user:bob] }
  - { name: platform, members: [user:alice, group:sre] }
`;

// The edit: alice renamed and with a second address, bob back, carol new, alice out of platform.
const V2 = `
users:
  - { userName: alice, displayName: Alice A., emails: [alice@example.com, { value: aa@example.com, type: work }],
      passwordHash: "${HASH_A}", attributes: { team: blue } }
  - userName: bob
    givenName: Bob
    status: active
  - { userName: carol }
groups:
  - { name: sre, description: On call, members: [user:bob] }
  - { name: platform, members: [group:sre, user:carol] }
`;

async function groupNames(db: Db, userName: string): Promise<string[]> {
  const user = await findUserByName(db, userName);
  return (await effectiveGroups(db, user!.id)).map((g) => g.name).sort();
}

async function storedHash(db: Db, userName: string): Promise<string | undefined> {
  const user = await findUserByName(db, userName);
  const { rows } = await db.query<{ hash: string }>(
    'select hash from password_credentials where user_id = $1',
    [user!.id],
  );
  return rows[0]?.hash;
}

async function eventCount(db: Db): Promise<number> {
  return (await readEvents(db, 0, 100_000)).length;
}

describe.each(backends)('apply on $name', (backend) => {
  describe('round trip', () => {
    const ctx = useDb(backend);

    test('apply, apply again (0 changes), dry-run shows exactly the edit, apply the edit', async () => {
      const first = await apply(ctx.db, V1);
      expect(first.lines).toEqual([
        '+ user alice',
        '+ user bob (disabled)',
        '+ group sre',
        '+ group platform',
        '+ member group:sre ← user:bob',
        '+ member group:platform ← user:alice',
        '+ member group:platform ← group:sre',
      ]);
      expect(first.summary).toBe('7 changes');
      const alice = await findUserByName(ctx.db, 'alice');
      expect(alice).toMatchObject({
        displayName: 'Alice Anderson',
        emails: [{ value: 'alice@example.com' }],
        attributes: { team: 'blue' },
        status: 'active',
        source: 'builtin',
      });
      expect(await storedHash(ctx.db, 'alice')).toBe(HASH_A);
      expect(await findUserByName(ctx.db, 'bob')).toMatchObject({ status: 'disabled', givenName: 'Bob' });
      expect((await findGroupByName(ctx.db, 'sre'))?.description).toBe('On call');
      expect(await groupNames(ctx.db, 'alice')).toEqual(['platform']);
      expect(await groupNames(ctx.db, 'bob')).toEqual(['platform', 'sre']);

      const head = await auditHead(ctx.db);
      const events = await eventCount(ctx.db);
      expect(await apply(ctx.db, V1)).toEqual({ lines: [], summary: '0 changes' });
      expect(await auditHead(ctx.db)).toBe(head); // a no-op apply writes nothing, not even an audit entry
      expect(await eventCount(ctx.db)).toBe(events);

      const edit = [
        '~ user alice: displayName, emails',
        '~ user bob: enabled',
        '+ user carol',
        '- member group:platform ← user:alice',
        '+ member group:platform ← user:carol',
      ];
      const dry = await apply(ctx.db, V2, { dryRun: true });
      expect(dry).toEqual({ lines: edit, summary: '5 changes (dry run: nothing was changed)' });
      expect(await auditHead(ctx.db)).toBe(head);
      expect(await findUserByName(ctx.db, 'carol')).toBeUndefined();
      expect((await findUserByName(ctx.db, 'alice'))?.displayName).toBe('Alice Anderson');

      expect(await apply(ctx.db, V2)).toEqual({ lines: edit, summary: '5 changes' });
      expect(await findUserByName(ctx.db, 'alice')).toMatchObject({
        displayName: 'Alice A.',
        emails: [{ value: 'alice@example.com' }, { value: 'aa@example.com', type: 'work' }],
      });
      expect((await findUserByName(ctx.db, 'bob'))?.status).toBe('active');
      expect(await groupNames(ctx.db, 'alice')).toEqual([]);
      expect(await groupNames(ctx.db, 'carol')).toEqual(['platform']);
      expect(await apply(ctx.db, V2)).toEqual({ lines: [], summary: '0 changes' });
      expect(await apply(ctx.db, V2, { dryRun: true })).toEqual({ lines: [], summary: '0 changes' });
    });

    test('every write is audited as the CLI, one request id per apply, no hash in the log', async () => {
      const records = [];
      for await (const record of readAudit(ctx.db)) records.push(record);
      const applies = records.filter((r) => r.action === 'state.apply');
      expect(applies).toHaveLength(2);
      expect(applies[0]!.details).toMatchObject({
        file: 'state.yaml',
        changes: 7,
        prune: false,
        sections: ['users', 'groups'],
      });
      expect(applies[0]!.details['sha256']).toMatch(/^[0-9a-f]{64}$/);
      const firstApply = records.filter((r) => r.requestId === applies[0]!.requestId);
      expect(firstApply.map((r) => r.action)).toEqual([
        'user.create',
        'user.password_set',
        'user.create',
        'user.disable',
        'group.create',
        'group.create',
        'membership.add',
        'membership.add',
        'membership.add',
        'state.apply',
      ]);
      expect(firstApply.every((r) => r.actor === 'cli')).toBe(true);
      expect(applies[0]!.requestId).not.toBe(applies[1]!.requestId);
      expect(JSON.stringify(records)).not.toContain('$argon2id');
      expect(await verifyAudit(ctx.db)).toMatchObject({ ok: true });
    });

    test('fields the file leaves out are left alone; null and [] clear them', async () => {
      const bob = (await findUserByName(ctx.db, 'bob'))!;
      await ctx.db.transaction((tx) =>
        updateUser(tx, admin, bob.id, { displayName: 'Set in the console', emails: ['bob@example.com'] }),
      );
      expect((await apply(ctx.db, V2)).lines).toEqual([]);
      const cleared = V2.replace('givenName: Bob', 'givenName: null\n    displayName: null\n    emails: []');
      expect((await apply(ctx.db, cleared)).lines).toEqual(['~ user bob: displayName, givenName, emails']);
      expect(await getUser(ctx.db, bob.id)).toMatchObject({ displayName: null, givenName: null, emails: [] });
      expect((await apply(ctx.db, V2)).lines).toEqual(['~ user bob: givenName']);
    });

    test('a group member added outside the file is removed: a listed membership is the whole list', async () => {
      const sre = (await findGroupByName(ctx.db, 'sre'))!;
      const carol = (await findUserByName(ctx.db, 'carol'))!;
      await ctx.db.transaction((tx) => addMember(tx, admin, sre.id, { userId: carol.id }));
      expect((await apply(ctx.db, V2)).lines).toEqual(['- member group:sre ← user:carol']);
      // A group declared without `members` keeps whatever members it has.
      const unmanaged = V2.replace(
        '- { name: sre, description: On call, members: [user:bob] }',
        '- { name: sre }',
      );
      await ctx.db.transaction((tx) => addMember(tx, admin, sre.id, { userId: carol.id }));
      expect((await apply(ctx.db, unmanaged)).lines).toEqual([]);
      expect((await listMembers(ctx.db, sre.id, { limit: 10 })).members.map((m) => m.name).sort()).toEqual([
        'bob',
        'carol',
      ]);
    });

    test('names match case-insensitively; a change of case is a rename', async () => {
      const renamed = V2.replace('userName: carol', 'userName: Carol').replace(
        'name: platform',
        'name: Platform',
      );
      expect((await apply(ctx.db, renamed)).lines).toEqual([
        '~ user carol: userName',
        '~ group platform: name',
        '- member group:sre ← user:carol',
      ]);
      expect((await findUserByName(ctx.db, 'carol'))?.userName).toBe('Carol');
      expect(await apply(ctx.db, renamed)).toEqual({ lines: [], summary: '0 changes' });
    });
  });

  describe('passwords', () => {
    const ctx = useDb(backend);

    test('passwordHash and passwordFile store the hash; a new hash is a password change', async () => {
      const dir = stateDir({ 'dave.hash': `${HASH_B}\n` });
      const file = `users:\n  - { userName: dave, passwordFile: ./dave.hash }\n  - { userName: erin, passwordHash: "${HASH_A}" }\n`;
      expect((await apply(ctx.db, file, { baseDir: dir })).lines).toEqual(['+ user dave', '+ user erin']);
      expect(await storedHash(ctx.db, 'dave')).toBe(HASH_B);
      expect((await apply(ctx.db, file, { baseDir: dir })).lines).toEqual([]);

      const changed = file.replace(HASH_A, HASH_B);
      expect((await apply(ctx.db, changed, { baseDir: dir })).lines).toEqual(['~ user erin: password']);
      expect(await storedHash(ctx.db, 'erin')).toBe(HASH_B);
      const erin = (await findUserByName(ctx.db, 'erin'))!;
      const history = await ctx.db.query<{ hash: string }>(
        'select hash from password_history where user_id = $1',
        [erin.id],
      );
      expect(history.rows.map((r) => r.hash)).toEqual([HASH_A]);
      const events = (await readEvents(ctx.db, 0, 10_000))
        .filter((e) => e.userId === erin.id)
        .map((e) => e.type);
      expect(events).toEqual(['user.created', 'user.password_changed', 'user.password_changed']);

      // Leaving the hash out leaves the password as it is.
      expect((await apply(ctx.db, 'users: [{ userName: erin }]')).lines).toEqual([]);
      expect(await storedHash(ctx.db, 'erin')).toBe(HASH_B);
    });
  });

  describe('prune', () => {
    const ctx = useDb(backend);

    test('--prune deprovisions and deletes what the file no longer declares; never root, never other sources', async () => {
      await bootstrapRoot(ctx.db);
      await ctx.db.transaction(async (tx) => {
        await createUser(tx, admin, { userName: 'jdoe' }, { source: 'ldap:corp' });
        await createGroup(tx, admin, { name: 'Engineering' }, { source: 'ldap:corp' });
      });
      const full = `
users: [{ userName: ann }, { userName: ben }, { userName: cat }]
groups:
  - { name: keep, members: [user:ann, user:ben, group:corp/Engineering, user:jdoe, group:old] }
  - { name: old, members: [user:ben] }
`;
      expect((await apply(ctx.db, full)).lines).toEqual([
        '+ user ann',
        '+ user ben',
        '+ user cat',
        '+ group keep',
        '+ group old',
        '+ member group:keep ← user:ann',
        '+ member group:keep ← user:ben',
        '+ member group:keep ← group:corp/Engineering',
        '+ member group:keep ← user:jdoe',
        '+ member group:keep ← group:old',
        '+ member group:old ← user:ben',
      ]);

      const smaller = `
users: [{ userName: ann }, { userName: cat }]
groups:
  - { name: keep, members: [user:ann, group:corp/Engineering, user:jdoe] }
`;
      // Without --prune, undeclared objects stay.
      expect((await apply(ctx.db, smaller, { dryRun: true })).lines).toEqual([
        '- member group:keep ← user:ben',
        '- member group:keep ← group:old',
      ]);
      // With it, deleting `old` takes it out of `keep`: no separate line for that membership.
      const pruned = ['- user ben (deprovision)', '- group old (delete)', '- member group:keep ← user:ben'];
      const head = await auditHead(ctx.db);
      expect((await apply(ctx.db, smaller, { prune: true, dryRun: true })).lines).toEqual(pruned);
      expect(await auditHead(ctx.db)).toBe(head);
      expect(await apply(ctx.db, smaller, { prune: true })).toEqual({ lines: pruned, summary: '3 changes' });
      expect(await findUserByName(ctx.db, 'ben')).toBeUndefined();
      expect(await findGroupByName(ctx.db, 'old')).toBeUndefined();
      expect((await findUserByName(ctx.db, 'root'))?.status).toBe('active');
      expect((await findUserByName(ctx.db, 'jdoe'))?.status).toBe('active');
      expect(await findGroupByName(ctx.db, 'Engineering', 'ldap:corp')).toBeDefined();
      expect(await apply(ctx.db, smaller, { prune: true })).toEqual({ lines: [], summary: '0 changes' });

      // Only the sections the file has are pruned: a groups-only file leaves users alone.
      expect((await apply(ctx.db, 'groups: []', { prune: true, dryRun: true })).lines).toEqual([
        '- group keep (delete)',
      ]);
      expect((await apply(ctx.db, 'users: []', { prune: true, dryRun: true })).lines).toEqual([
        '- user ann (deprovision)',
        '- user cat (deprovision)',
      ]);
    });

    test('with --prune a member must be declared, or it would be removed under the group', async () => {
      const lines = await problems(
        ctx.db,
        'users: [{ userName: ann }]\ngroups:\n  - { name: keep, members: [user:cat, user:root] }\n',
        { prune: true },
      );
      expect(withoutLines(lines)).toEqual([
        'groups[0].members[0]: user "cat" is not declared in users, and --prune deprovisions it',
      ]);
    });
  });

  describe('invalid files', () => {
    const ctx = useDb(backend);

    test('each problem names its path (and line); nothing is written', async () => {
      await ctx.db.transaction(async (tx) => {
        await createUser(tx, admin, { userName: 'jdoe' }, { source: 'ldap:corp' });
        const x = await createGroup(tx, admin, { name: 'x' });
        const y = await createGroup(tx, admin, { name: 'y' });
        await addMember(tx, admin, x.id, { groupId: y.id });
      });
      const head = await auditHead(ctx.db);
      const cases: [string, string[]][] = [
        [
          'groups:\n  - { name: platform, members: [user:alice, user:bob] }\nusers: [{ userName: alice }]',
          ['state.yaml:2: groups[0].members[1]: unknown user "bob"'],
        ],
        [
          `users:\n  - { userName: a }\n  - { userName: b }\n  - { userName: c, password: hunter2 }\n`,
          [
            'state.yaml:4: users[2].password: plaintext passwords are not accepted; use passwordHash (argon2id) or passwordFile',
          ],
        ],
        [
          'users:\n  - { userName: a, passwordHash: "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW" }',
          [
            'state.yaml:2: users[0].passwordHash: expected an argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)',
          ],
        ],
        [
          'users:\n  - { userName: a, passwordHash: "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY" }',
          [
            'state.yaml:2: users[0].passwordHash: expected an argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)',
          ],
        ],
        [
          'users: []\napplications:\n  - { name: Grafana }\n',
          [
            'state.yaml:2: applications: unknown section "applications" (known: users, groups, accounts, policies, permissionSets, assignments)',
          ],
        ],
        [
          'users:\n  - { userName: alice }\n  - { userName: Alice }\n',
          ['state.yaml:3: users[1].userName: "Alice" is declared twice (also users[0])'],
        ],
        [
          'users:\n  - { userName: jdoe, displayName: J }\n',
          [
            'state.yaml:2: users[0].userName: user "jdoe" belongs to ldap:corp; apply manages only built-in users',
          ],
        ],
        [
          'users:\n  - { userName: root }\n',
          ['state.yaml:2: users[0].userName: "root" is the root administrator; apply does not manage it'],
        ],
        [
          'groups:\n  - { name: a, members: [group:b] }\n  - { name: b, members: [group:a] }\n',
          ['state.yaml:2: groups[0].members[0]: membership cycle: group:a → group:b → group:a'],
        ],
        [
          'groups:\n  - { name: a, members: [group:a] }\n',
          ['state.yaml:2: groups[0].members[0]: membership cycle: group:a → group:a'],
        ],
        [
          // x already contains y in the directory; the file does not declare x, so that stays.
          'groups:\n  - { name: y, members: [group:x] }\n',
          ['state.yaml:2: groups[0].members[0]: membership cycle: group:y → group:x → group:y'],
        ],
        [
          'groups:\n  - { name: g, members: [user:a, user:A] }\n  - { name: G }\n  - { name: h, members: [bob] }\n',
          [
            'state.yaml:2: groups[0].members[1]: user:A is listed twice (also members[0])',
            'state.yaml:3: groups[1].name: "G" is declared twice (also groups[0])',
            'state.yaml:4: groups[2].members[0]: expected user:NAME, group:NAME or group:CONNECTOR/NAME',
          ],
        ],
        [
          'groups:\n  - { name: g, members: [group:corp/Sales, group:nope, group:x, group:corp/x] }\n',
          [
            'state.yaml:2: groups[0].members[0]: unknown directory group "corp/Sales" (no group "Sales" synced from connector corp)',
            'state.yaml:2: groups[0].members[1]: unknown group "nope"',
            'state.yaml:2: groups[0].members[3]: unknown directory group "corp/x" (no group "x" synced from connector corp)',
          ],
        ],
        [
          'users:\n  - { userName: a, emails: [nope], colour: red, status: deprovisioned }\n',
          [
            'state.yaml:2: users[0].emails[0].value: not an email address',
            'state.yaml:2: users[0].status: Invalid option: expected one of "active"|"disabled"',
            'state.yaml:2: users[0].colour: unknown field',
          ],
        ],
        ['users:\n', ['state.yaml:1: users: expected a list, got nothing']],
        [
          '- a\n- b\n',
          [
            'state.yaml:1: expected a mapping of sections (users, groups, accounts, policies, permissionSets, assignments)',
          ],
        ],
        [
          'users:\n  - { userName: a\n',
          ['state.yaml:3: Flow map in block collection must be sufficiently indented and end with a }'],
        ],
        ['users: []\nusers: []\n', ['state.yaml:2: Map keys must be unique']],
      ];
      for (const [yaml, expected] of cases) {
        expect(await problems(ctx.db, yaml), yaml).toEqual(expected);
      }
      const dir = stateDir({
        'bcrypt.hash': '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW\n',
      });
      expect(
        await problems(
          ctx.db,
          `users:\n  - { userName: a, passwordFile: bcrypt.hash }\n  - { userName: b, passwordFile: missing.hash }\n  - { userName: c, passwordFile: bcrypt.hash, passwordHash: "${HASH_A}" }\n`,
          { baseDir: dir },
        ),
      ).toEqual([
        'state.yaml:2: users[0].passwordFile: bcrypt.hash: expected an argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)',
        'state.yaml:3: users[1].passwordFile: cannot read missing.hash: ENOENT',
        'state.yaml:4: users[2].passwordFile: give passwordHash or passwordFile, not both',
      ]);
      expect(await auditHead(ctx.db)).toBe(head);
    });

    test('a failing apply leaves nothing half-done', async () => {
      await ctx.db.exec(`
        create function refuse_explode() returns trigger language plpgsql as $$
        begin
          if new.name = 'explode' then raise exception 'explode is not allowed here'; end if;
          return new;
        end $$;
        create trigger refuse_explode before insert on groups for each row execute function refuse_explode();`);
      const head = await auditHead(ctx.db);
      const events = await eventCount(ctx.db);
      const file = `users: [{ userName: fay, passwordHash: "${HASH_A}" }]\ngroups:\n  - { name: fine, members: [user:fay] }\n  - { name: explode }\n`;
      const error = await apply(ctx.db, file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatehouseError);
      expect((error as GatehouseError).code).toBe('apply.failed');
      expect((error as GatehouseError).message).toMatch(
        /^\+ group explode: .*explode is not allowed here; nothing was changed$/,
      );
      expect(await findUserByName(ctx.db, 'fay')).toBeUndefined();
      expect(await findGroupByName(ctx.db, 'fine')).toBeUndefined();
      expect(await auditHead(ctx.db)).toBe(head);
      expect(await eventCount(ctx.db)).toBe(events);
      const { rows } = await ctx.db.query<{ n: number }>(
        'select count(*)::int as n from password_credentials',
      );
      expect(rows[0]!.n).toBe(0);
    });

    test('two applies at once: one makes the changes, the other finds nothing to do', async () => {
      const file =
        'users: [{ userName: gil }, { userName: hal }]\ngroups: [{ name: pair, members: [user:gil, user:hal] }]\n';
      const results = await Promise.all([apply(ctx.db, file), apply(ctx.db, file)]);
      expect(results.map((r) => r.summary).sort()).toEqual(['0 changes', '5 changes']);
    });
  });
});

describe.each(backends)('the README example on $name', (backend) => {
  const ctx = useDb(backend);

  test('applies as the README shows', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Declarative state'));
    const yaml = section.match(/```yaml\n([\s\S]*?)```/)![1]!.replace(/"\$argon2id[^"]*"/, `"${HASH_A}"`);
    const output = section
      .match(/```text\n([\s\S]*?)```/)![1]!
      .trim()
      .split('\n');
    await ctx.db.transaction((tx) =>
      createGroup(tx, admin, { name: 'Engineering' }, { source: 'ldap:corp-ad' }),
    );
    const result = await apply(ctx.db, yaml);
    expect([...result.lines, result.summary]).toEqual(output);
  });
});
