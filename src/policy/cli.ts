// `gatehouse policy validate|simulate`: offline tools for people who write policies, in the manner of
// `aws iam simulate-custom-policy`. No server or database involved.

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { compilePolicySet } from './compile.ts';
import { describeDecision, evaluate } from './evaluate.ts';
import type { NamedPolicy, PolicyError, PolicyKind, RequestContext } from './types.ts';
import { SIZE_LIMITS, validatePolicy } from './validate.ts';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const USAGE = `Usage:
  gatehouse policy validate [--kind inline|managed|boundary|session] [--json] FILE...
      Checks policy files. Exit 0 when all are valid, 1 when any is not (every error is
      printed with its JSON path), 2 on usage errors or unreadable files.

  gatehouse policy simulate --policy FILE... [--boundary FILE] [--session-policy FILE...]
                            --action ACTION --resource ARN [--principal ARN]
                            [--context KEY=VALUE...] [--json]
      Evaluates one request against identity policies, an optional permissions boundary and
      optional session policies. Prints the decision (Allow, ExplicitDeny or ImplicitDeny) and
      the deciding policy and statement. Repeating a --context key makes it multivalued.
      Exit 0 whatever the decision, 1 when a policy is invalid, 2 on usage errors.
`;

class UsageError extends Error {}

export async function policyCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'validate') return await validateCommand(rest, io);
    if (sub === 'simulate') return await simulateCommand(rest, io);
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    if (sub === undefined) {
      io.stderr(USAGE);
      return 2;
    }
    throw new UsageError(`unknown policy command "${sub}"`);
  } catch (e) {
    if (e instanceof UsageError || isParseArgsError(e)) {
      io.stderr(`gatehouse policy: ${(e as Error).message}\nRun "gatehouse policy --help" for usage.\n`);
      return 2;
    }
    throw e;
  }
}

function isParseArgsError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

type Options = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

/** Parses options; words after a list option (`--policy a.json b.json`) extend that list. */
function parse(
  args: string[],
  options: Options,
  lists: string[],
): { values: Map<string, string[]>; flags: Set<string>; positionals: string[] } {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  const positionals: string[] = [];
  let listOpen: string | undefined;
  for (const t of tokens) {
    if (t.kind === 'option') {
      if (t.value === undefined) {
        flags.add(t.name);
        listOpen = undefined;
        continue;
      }
      const list = values.get(t.name) ?? [];
      if (!lists.includes(t.name) && list.length > 0)
        throw new UsageError(`--${t.name} may be given only once`);
      list.push(t.value);
      values.set(t.name, list);
      listOpen = lists.includes(t.name) ? t.name : undefined;
    } else if (t.kind === 'positional') {
      if (listOpen) values.get(listOpen)!.push(t.value);
      else positionals.push(t.value);
    } else listOpen = undefined;
  }
  return { values, flags, positionals };
}

async function load(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const KINDS = Object.keys(SIZE_LIMITS) as PolicyKind[];

async function validateCommand(args: string[], io: CliIo): Promise<number> {
  const { values, flags, positionals } = parse(
    args,
    { kind: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    [],
  );
  if (flags.has('help')) {
    io.stdout(USAGE);
    return 0;
  }
  const kind = (values.get('kind')?.[0] ?? 'inline') as PolicyKind;
  if (!KINDS.includes(kind)) throw new UsageError(`--kind must be one of ${KINDS.join(', ')}`);
  if (positionals.length === 0) throw new UsageError('validate needs at least one FILE');
  const results: { file: string; valid: boolean; errors: PolicyError[] }[] = [];
  for (const file of positionals) {
    const r = validatePolicy(await load(file), kind);
    results.push({ file, valid: r.ok, errors: r.ok ? [] : r.errors });
  }
  if (flags.has('json')) io.stdout(`${JSON.stringify(results, null, 2)}\n`);
  else {
    for (const r of results) {
      if (r.valid) io.stdout(`${r.file}: valid ${kind} policy\n`);
      else for (const e of r.errors) io.stdout(`${r.file}: ${e.path}: ${e.message}\n`);
    }
  }
  return results.every((r) => r.valid) ? 0 : 1;
}

async function simulateCommand(args: string[], io: CliIo): Promise<number> {
  const { values, flags, positionals } = parse(
    args,
    {
      policy: { type: 'string', multiple: true },
      boundary: { type: 'string' },
      'session-policy': { type: 'string', multiple: true },
      action: { type: 'string' },
      resource: { type: 'string' },
      principal: { type: 'string' },
      context: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    ['policy', 'session-policy', 'context'],
  );
  if (flags.has('help')) {
    io.stdout(USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const policyFiles = values.get('policy') ?? [];
  const action = values.get('action')?.[0];
  const resource = values.get('resource')?.[0];
  if (policyFiles.length === 0) throw new UsageError('simulate needs --policy FILE');
  if (action === undefined) throw new UsageError('simulate needs --action');
  if (resource === undefined) throw new UsageError('simulate needs --resource');
  const context = parseContext(values.get('context') ?? []);

  let invalid = false;
  const read = async (file: string, kind: PolicyKind): Promise<NamedPolicy | undefined> => {
    const r = validatePolicy(await load(file), kind);
    if (r.ok) return { name: file, policy: r.policy };
    invalid = true;
    for (const e of r.errors) io.stderr(`${file}: ${e.path}: ${e.message}\n`);
    return undefined;
  };
  const identity: (NamedPolicy | undefined)[] = [];
  for (const f of policyFiles) identity.push(await read(f, 'inline'));
  const boundaryFile = values.get('boundary')?.[0];
  const boundary = boundaryFile === undefined ? undefined : await read(boundaryFile, 'boundary');
  const sessionFiles = values.get('session-policy');
  const session: (NamedPolicy | undefined)[] = [];
  for (const f of sessionFiles ?? []) session.push(await read(f, 'session'));
  if (invalid) return 1;

  const set = compilePolicySet({
    identity: identity as NamedPolicy[],
    ...(boundary ? { boundary } : {}),
    ...(sessionFiles ? { session: session as NamedPolicy[] } : {}),
  });
  const principal = values.get('principal')?.[0];
  const request = { action, resource, context, ...(principal === undefined ? {} : { principal }) };
  const result = evaluate(set, request);
  const explanation = describeDecision(result);
  if (flags.has('json')) io.stdout(`${JSON.stringify({ request, ...result, explanation }, null, 2)}\n`);
  else io.stdout(`Decision: ${result.decision}\n${explanation}\n`);
  return 0;
}

/** `KEY=VALUE` pairs; a key given twice (in any case) becomes multivalued. */
function parseContext(pairs: string[]): RequestContext {
  const byLower = new Map<string, { key: string; values: string[] }>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--context expects KEY=VALUE, got "${pair}"`);
    const key = pair.slice(0, eq);
    const entry = byLower.get(key.toLowerCase()) ?? { key, values: [] };
    entry.values.push(pair.slice(eq + 1));
    byLower.set(key.toLowerCase(), entry);
  }
  const context: RequestContext = {};
  for (const { key, values } of byLower.values()) context[key] = values.length === 1 ? values[0]! : values;
  return context;
}

if (import.meta.main) {
  const code = await policyCommand(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  });
  process.exitCode = code;
}
