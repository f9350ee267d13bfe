import { describe, expect, test } from 'vitest';
import { audit, auditNow, queryAudit, readAudit, verifyAudit } from '../../src/audit/audit.ts';
import { canonicalJson } from '../../src/audit/canonical-json.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';

test('canonical JSON sorts keys at every level', () => {
  expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe(
    '{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}',
  );
});

describe.each(backends)('audit log on $name', (backend) => {
  const ctx = useDb(backend);

  test('entries chain; verify walks them; export reads them in order', async () => {
    for (let i = 0; i < 5; i++) {
      await auditNow(
        ctx.db,
        { actor: 'cli', ip: '203.0.113.9' },
        { action: 'test.entry', target: `thing:${i}`, details: { i } },
      );
    }
    const result = await verifyAudit(ctx.db);
    expect(result).toMatchObject({ ok: true, count: 5 });
    const records = [];
    for await (const r of readAudit(ctx.db, 1, 2)) records.push(r);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(records[1]!.prevHash).toBe(records[0]!.hash);
  });

  test('an entry written in a transaction that rolls back leaves no trace and no gap', async () => {
    await ctx.db
      .transaction(async (tx) => {
        await audit(tx, { actor: 'cli' }, { action: 'test.rolled_back' });
        throw new Error('abort');
      })
      .catch(() => {});
    expect(await queryAudit(ctx.db, { action: 'test.rolled_back', limit: 10 })).toEqual([]);
    expect(await verifyAudit(ctx.db)).toMatchObject({ ok: true });
  });

  test('concurrent writers do not fork the chain', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        ctx.db.transaction(
          async (tx) => {
            await tx.query('select pg_sleep(0.005)');
            await audit(tx, { actor: `writer:${i}` }, { action: 'test.concurrent' });
          },
          { isolation: i % 2 ? 'repeatable read' : 'read committed', attempts: 50 },
        ),
      ),
    );
    const verified = await verifyAudit(ctx.db);
    expect(verified).toMatchObject({ ok: true });
    expect((await queryAudit(ctx.db, { action: 'test.concurrent', limit: 100 })).length).toBe(40);
  });

  test('queries filter by action prefix and page backwards', async () => {
    const page1 = await queryAudit(ctx.db, { action: 'test.*', limit: 3 });
    expect(page1).toHaveLength(3);
    expect(page1[0]!.seq).toBeGreaterThan(page1[2]!.seq);
    const page2 = await queryAudit(ctx.db, { action: 'test.*', limit: 3, before: page1[2]!.seq });
    expect(page2[0]!.seq).toBeLessThan(page1[2]!.seq);
  });

  test('the table refuses updates and deletes; tampering past that is found and named', async () => {
    await expect(ctx.db.query("update audit_log set actor = 'mallory' where seq = 3")).rejects.toThrow(
      /append-only/,
    );
    await expect(ctx.db.query('delete from audit_log where seq = 3')).rejects.toThrow(/append-only/);
    // Someone with database superuser rights goes around the trigger.
    await ctx.db.exec('alter table audit_log disable trigger audit_log_no_update');
    await ctx.db.query(`update audit_log set details = '{"i": 99}' where seq = 3`);
    expect(await verifyAudit(ctx.db)).toEqual({
      ok: false,
      seq: 3,
      reason: 'content does not match its hash',
    });
    await ctx.db.query(`update audit_log set details = '{"i": 2}' where seq = 3`);
    expect(await verifyAudit(ctx.db)).toMatchObject({ ok: true });
    const last = (await queryAudit(ctx.db, { limit: 1 }))[0]!.seq;
    await ctx.db.query('delete from audit_log where seq = $1', [last]);
    expect(await verifyAudit(ctx.db)).toMatchObject({ ok: false, seq: last });
    await ctx.db.query('delete from audit_log where seq = 2');
    expect(await verifyAudit(ctx.db)).toMatchObject({ ok: false, seq: 2, reason: 'row 2 is missing' });
    await ctx.db.exec('alter table audit_log enable trigger audit_log_no_update');
  });
});
