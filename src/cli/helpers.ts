import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { checkMasterKey } from '../keys/keyring.ts';
import { loadMasterKey } from '../keys/master-key.ts';
import { createLogger, type Logger } from '../log.ts';
import type { Db } from '../store/db.ts';
import { openDb } from '../store/open.ts';
import type { Command, CommandContext } from './commands.ts';
import { type Io, UsageError } from './io.ts';

// Helpers shared by the commands (commands.ts and one file per larger command, e.g. tokens.ts).

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

export function parse<T extends ParseArgsOptionsConfig>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...options, ...HELP } as T & typeof HELP,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export const config = (context: CommandContext): Config =>
  loadConfig({ env: context.io.env, file: context.configFile, cwd: context.io.cwd });

/** Commands other than serve log to stderr at warn, so stdout carries only their output. */
export const quietLogger = (cfg: Config): Logger =>
  createLogger(cfg.log.level === 'info' ? 'warn' : cfg.log.level, undefined).child({ cli: true });

export async function withDb<T>(cfg: Config, fn: (db: Db, master: Buffer) => Promise<T>): Promise<T> {
  const master = loadMasterKey(cfg.masterKey, cfg.dataDir);
  const db = await openDb(cfg);
  try {
    await checkMasterKey(db, master.key);
    return await fn(db, master.key);
  } finally {
    await db.close();
  }
}

export function help(command: Command, io: Io): number {
  io.stdout(`${command.summary}\n\nusage: ${command.usage}`);
  return 0;
}
