import type { AuditContext } from '../audit/audit.ts';
import type { Queryable } from '../store/db.ts';
import type { DirectorySnapshot } from './snapshot.ts';

/** Where in the state file: `['users', 2, 'password']` is printed `users[2].password`. */
export type Path = readonly (string | number)[];

export interface Problem {
  path: Path;
  message: string;
}

/** What a section's parse makes of its part of the file: entries, or the problems found. */
export type Parsed<Entry> = { entries: Entry[]; problems: [] } | { entries?: undefined; problems: Problem[] };

/** One step of a plan, printed `+ user alice`, `~ user bob: displayName, emails`, `- user dave (deprovision)`. */
export interface Change {
  /** `+` create or add, `~` change, `-` remove, delete or deprovision. */
  op: '+' | '~' | '-';
  /** What it is about: `user alice`, `member group:platform ← user:alice`. */
  subject: string;
  /** For `~` the fields that change; otherwise how (`disabled`, `deprovision`, `delete`). */
  detail?: string;
  /** Makes the change through the domain functions, in the apply's transaction. */
  run(tx: Queryable, context: AuditContext): Promise<void>;
}

export interface ParseContext {
  /** Folder that relative paths in the file (passwordFile, metadataFile, …) are relative to. */
  baseDir: string;
}

export interface PlanContext {
  /** --prune: remove the managed objects of this section that the file no longer declares. */
  prune: boolean;
  /** The entries another section declares in the same file, or undefined when the file has no such section. */
  declared<Entry>(section: Section<Entry>): Entry[] | undefined;
  /** The directory as it is before the apply (read once, shared by the sections). */
  directory(): Promise<DirectorySnapshot>;
}

/**
 * One top-level section of the state file (`users`, `groups`, …). A section checks its own part of
 * the file, then compares it with the database and returns the changes, in the order they must
 * run. Sections run in the order of the registry (src/apply/sections.ts): a section may refer to
 * what earlier ones create. Problem paths are relative to the section (`[2, 'password']`).
 */
export interface Section<Entry> {
  /** The top-level key in the file. */
  readonly key: string;
  /** Checks the section's value without the database: shape (zod), duplicates, referenced files. */
  parse(value: unknown, context: ParseContext): Parsed<Entry>;
  /**
   * Compares the declared entries with the database (read queries only; the domain functions do
   * the writing when the changes run). References the database cannot resolve are problems.
   */
  plan(
    tx: Queryable,
    entries: Entry[],
    context: PlanContext,
  ): Promise<{ changes: Change[]; problems: Problem[] }>;
}
