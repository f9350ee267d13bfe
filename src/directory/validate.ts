import type { z } from 'zod';
import { GatehouseError } from '../errors.ts';

/** Parses input with a schema; failure is a `<domain>.invalid` error listing every problem by path. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  code = 'directory.invalid',
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    path: issue.path.join('.') || '(body)',
    message: issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message,
  }));
  throw new GatehouseError('invalid', code, problems.map((p) => `${p.path}: ${p.message}`).join('; '), {
    problems,
  });
}
