import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { applyState, formatChange, formatSummary } from '../apply/apply.ts';
import { parseState } from '../apply/load.ts';
import { StateInvalid } from '../apply/problems.ts';
import { loadConfig } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { startRuntime } from '../runtime.ts';
import type { Command } from './commands.ts';
import { EXIT, type Io, parseCommandArgs, UsageError } from './io.ts';

const USAGE = `gatehouse apply -f FILE [--dry-run] [--prune]

Makes the built-in directory match FILE (YAML: users, groups), in one transaction, and prints
each change (+ create, ~ change, - remove) and their number. Running it again changes nothing.
  -f FILE     the state file; -f - reads it from standard input
  --dry-run   print the changes, make none
  --prune     also deprovision built-in users and delete built-in groups that FILE does not
              declare (only for the sections FILE has; never the root administrator)
exit codes: 0 applied (or nothing to do), 1 invalid file or failed apply, 2 usage`;

const OPTIONS = {
  file: { type: 'string', short: 'f', multiple: true },
  'dry-run': { type: 'boolean' },
  prune: { type: 'boolean' },
} as const;

export const applyCommand: Command = {
  summary: 'make users and groups match a declarative state file (apply -f state.yaml)',
  usage: USAGE,
  async run(args, context) {
    const { io } = context;
    const { values, positionals } = parseCommandArgs(args, OPTIONS);
    if (values.help) {
      io.stdout(`${this.summary}\n\nusage: ${USAGE}`);
      return EXIT.ok;
    }
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const files = values.file ?? [];
    if (files.length === 0) throw new UsageError('-f FILE is required (-f - reads standard input)');
    if (files.length > 1) throw new UsageError('one -f FILE at a time');
    const file = files[0]!;

    const cfg = loadConfig({ env: io.env, file: context.configFile, cwd: io.cwd });
    const fromStdin = file === '-';
    let text: string;
    try {
      text = fromStdin ? await readStdin(io) : await readFile(resolve(io.cwd, file), 'utf8');
    } catch (error) {
      io.stderr(
        `gatehouse apply: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
      return EXIT.failure;
    }
    const runtime = { close: async () => {} };
    try {
      const state = parseState(text, {
        name: fromStdin ? '<stdin>' : file,
        baseDir: fromStdin ? io.cwd : dirname(resolve(io.cwd, file)),
      });
      const log = createLogger(cfg.log.level === 'info' ? 'warn' : cfg.log.level, undefined).child({
        cli: true,
      });
      const started = await startRuntime(cfg, log);
      runtime.close = () => started.close();
      const dryRun = values['dry-run'] === true;
      const result = await applyState(started.db, state, { dryRun, prune: values.prune === true });
      for (const change of result.changes) io.stdout(formatChange(change));
      io.stdout(formatSummary(result.changes.length, dryRun));
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof StateInvalid)) throw error;
      for (const line of error.lines()) io.stderr(`gatehouse apply: ${line}`);
      return EXIT.failure;
    } finally {
      await runtime.close();
    }
  },
};

async function readStdin(io: Io): Promise<string> {
  if (!io.readStdin) throw new Error('standard input is not available');
  return io.readStdin();
}
