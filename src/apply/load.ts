import { createHash } from 'node:crypto';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { formatPath, type LocatedProblem, prefixed, StateInvalid } from './problems.ts';
import type { Path, Problem, Section } from './section.ts';
import { sections as registry } from './sections.ts';

/** A state file that passed every check that needs no database. */
export interface StateFile {
  /** As named to the user: the path given, or `<stdin>`. */
  name: string;
  /** SHA-256 of the text, recorded in the audit log of an apply. */
  sha256: string;
  /** The parsed entries of each section the file has (a section it lacks is not managed). */
  entries: ReadonlyMap<Section<unknown>, unknown[]>;
  /** Problems located in the file (line numbers from the YAML), as a StateInvalid. */
  invalid(problems: readonly Problem[]): StateInvalid;
}

/**
 * Parses the text of a state file: YAML, then each section's own checks. Every problem is
 * reported with its path (`users[2].password`) and line; a file with problems throws StateInvalid.
 */
export function parseState(
  text: string,
  options: { name: string; baseDir: string; sections?: readonly Section<unknown>[] },
): StateFile {
  const known = options.sections ?? registry;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  /** The line of the key (or list item) a path ends at; the nearest enclosing one when it is missing. */
  const lineOf = (path: Path): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = keyNode(n === 0 ? doc.contents : doc.getIn(path.slice(0, n - 1), true), path[n - 1], n);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  /** With their lines, in the order of the file. */
  const locate = (problems: readonly Problem[]): LocatedProblem[] =>
    problems
      .map((p) => {
        const line = lineOf(p.path);
        return { path: formatPath(p.path), message: p.message, ...(line ? { line } : {}) };
      })
      .sort((a, b) => (a.line ?? 1e9) - (b.line ?? 1e9));
  const invalid = (problems: readonly Problem[]) => new StateInvalid(options.name, locate(problems));

  if (doc.errors.length) {
    throw new StateInvalid(
      options.name,
      doc.errors.map((e) => ({
        path: '',
        line: lineCounter.linePos(e.pos[0]).line,
        message: e.message.split('\n')[0]!,
      })),
    );
  }
  const value: unknown = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    throw invalid([
      { path: [], message: `expected a mapping of sections (${known.map((s) => s.key).join(', ')})` },
    ]);
  }

  const problems: Problem[] = [];
  const entries = new Map<Section<unknown>, unknown[]>();
  for (const [key, sectionValue] of Object.entries(value)) {
    const section = known.find((s) => s.key === key);
    if (!section) {
      problems.push({
        path: [key],
        message: `unknown section "${key}" (known: ${known.map((s) => s.key).join(', ')})`,
      });
      continue;
    }
    const result = section.parse(sectionValue, { baseDir: options.baseDir });
    if (result.entries) entries.set(section, result.entries);
    else problems.push(...prefixed([key], result.problems));
  }
  if (problems.length) throw invalid(problems);
  // Sections in registry order, whatever the order in the file.
  const ordered = new Map(known.filter((s) => entries.has(s)).map((s) => [s, entries.get(s)!]));
  return {
    name: options.name,
    sha256: createHash('sha256').update(text).digest('hex'),
    entries: ordered,
    invalid,
  };
}

/** Within a collection node, the node of a map key or of a list item. */
function keyNode(parent: unknown, segment: string | number | undefined, depth: number): unknown {
  if (depth === 0) return parent;
  if (isSeq(parent) && typeof segment === 'number') return parent.items[segment];
  if (isMap(parent)) {
    return parent.items.find((pair) => (isScalar(pair.key) ? pair.key.value : pair.key) === segment)?.key;
  }
  return undefined;
}
