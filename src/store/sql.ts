/** Small helpers for building parameterised SQL: values always travel as parameters. */

/** Collects parameters as the SQL is written: `param(value)` appends it and returns `$n`. */
export function sqlParams(): { values: unknown[]; param: (value: unknown) => string } {
  const values: unknown[] = [];
  return {
    values,
    param: (value) => {
      values.push(value);
      return `$${values.length}`;
    },
  };
}

/** A LIKE pattern matching text that starts with `prefix` (its own % _ \ taken literally). */
export const likePrefix = (prefix: string): string => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
