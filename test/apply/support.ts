import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ApplyOptions, applyState, formatChange, formatSummary } from '../../src/apply/apply.ts';
import { parseState } from '../../src/apply/load.ts';
import { StateInvalid } from '../../src/apply/problems.ts';
import type { Db } from '../../src/store/db.ts';
import { tempDir } from '../support/server.ts';

/** Well-formed argon2id PHC strings (apply stores hashes; it never computes or checks them). */
export const HASH_A =
  '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY';
export const HASH_B =
  '$argon2id$v=19$m=65536,t=3,p=4$b3RoZXJzYWx0b3RoZXI$WllYV1ZVVFNSUVBPTk1MS0pJSEdGRURDQkE5ODc2NTQ';

/** A folder for the state file and the files it names (passwordFile). */
export function stateDir(files: Record<string, string> = {}): string {
  const dir = tempDir('gh-apply-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Applies YAML text; returns the printed plan lines and the summary line. */
export async function apply(
  db: Db,
  yaml: string,
  options: ApplyOptions & { baseDir?: string } = {},
): Promise<{ lines: string[]; summary: string }> {
  const state = parseState(yaml, { name: 'state.yaml', baseDir: options.baseDir ?? stateDir() });
  const result = await applyState(db, state, options);
  return {
    lines: result.changes.map(formatChange),
    summary: formatSummary(result.changes.length, result.dryRun),
  };
}

/** The problem lines of an invalid file (`state.yaml:3: users[1].password: …`); fails if it is valid. */
export async function problems(db: Db, yaml: string, options: ApplyOptions & { baseDir?: string } = {}) {
  try {
    await apply(db, yaml, options);
  } catch (error) {
    if (error instanceof StateInvalid) return error.lines();
    throw error;
  }
  throw new Error('expected the state file to be invalid');
}

/** `state.yaml:3: users[1].password: …` → `users[1].password: …` */
export const withoutLines = (lines: string[]) => lines.map((l) => l.replace(/^state\.yaml(:\d+)?: /, ''));

export async function auditHead(db: Db): Promise<number> {
  const { rows } = await db.query<{ seq: number }>('select seq from audit_head');
  return rows[0]!.seq;
}
