import type { z } from 'zod';
import { GatehouseError } from '../errors.ts';
import type { Parsed, Path, Problem } from './section.ts';

/** `['users', 2, 'attributes', 'cost center']` → `users[2].attributes["cost center"]` */
export function formatPath(path: Path): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

export const prefixed = (prefix: Path, problems: readonly Problem[]): Problem[] =>
  problems.map((p) => ({ path: [...prefix, ...p.path], message: p.message }));

/** Zod issues as problems; never echoes a received value (the file may carry hashes). */
export function zodProblems(issues: readonly z.core.$ZodIssue[]): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: [...path, key], message: 'unknown field' });
    } else if (issue.code === 'invalid_key') {
      const inner = issue.issues[0]?.message ?? issue.message;
      problems.push({ path, message: `invalid name: ${inner.replace(/^Invalid input: /, '')}` });
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // The alternative that got furthest says the most.
      const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
      problems.push(...zodProblems(best.map((i) => ({ ...i, path: [...path, ...i.path] }))));
    } else {
      problems.push({ path, message: issue.message.replace(/^Invalid input: /, '') });
    }
  }
  return problems;
}

/** Parses with a schema; issues become problems (paths relative to the value). */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
): { data: z.output<S>; problems: [] } | { data?: undefined; problems: Problem[] } {
  const result = schema.safeParse(value);
  return result.success
    ? { data: result.data, problems: [] }
    : { problems: zodProblems(result.error.issues) };
}

/**
 * Parses a list entry by entry, so that one bad entry does not hide the checks of the others:
 * `items[i]` is undefined where entry i has problems (their paths start with i).
 */
export function parseEach<S extends z.ZodType>(
  schema: S,
  value: unknown,
): { items: (z.output<S> | undefined)[]; problems: Problem[] } {
  if (!Array.isArray(value)) {
    return { items: [], problems: [{ path: [], message: `expected a list, got ${describeType(value)}` }] };
  }
  const problems: Problem[] = [];
  const items = value.map((item, i) => {
    const result = parseWith(schema, item);
    problems.push(...prefixed([i], result.problems));
    return result.data;
  });
  return { items, problems };
}

const describeType = (value: unknown) =>
  value === null || value === undefined ? 'nothing' : Array.isArray(value) ? 'a list' : typeof value;

export const parsed = <Entry>(entries: Entry[], problems: Problem[]): Parsed<Entry> =>
  problems.length ? { problems } : { entries, problems: [] };

export interface LocatedProblem {
  /** `users[2].password` */
  path: string;
  /** 1-based line in the file, when known. */
  line?: number;
  message: string;
}

/** The state file is not valid (shape, references, cycles): nothing was read or written. */
export class StateInvalid extends GatehouseError {
  readonly problems: LocatedProblem[];
  readonly file: string;

  constructor(file: string, problems: LocatedProblem[]) {
    super('invalid', 'apply.invalid', problems.map((p) => `${p.path}: ${p.message}`).join('; '), {
      problems,
    });
    this.name = 'StateInvalid';
    this.problems = problems;
    this.file = file;
  }

  /** One line per problem: `state.yaml:14: users[2].password: …` */
  lines(): string[] {
    return this.problems.map(
      (p) => `${this.file}${p.line ? `:${p.line}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}`,
    );
  }
}
