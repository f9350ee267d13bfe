import { createWriteStream } from 'node:fs';
import { readAudit, verifyAudit } from '../audit/audit.ts';
import { loadConfig } from '../config/load.ts';
import { checkMasterKey } from '../keys/keyring.ts';
import { loadMasterKey } from '../keys/master-key.ts';
import { openDb } from '../store/open.ts';
import type { Command } from './commands.ts';
import { parseCommandArgs, UsageError } from './io.ts';

const USAGE = `gatehouse audit verify
  gatehouse audit export [--from SEQ] [--output FILE]

verify walks the hash chain and names the first row that was altered, removed or reordered
(exit 1). export writes the log as JSON lines (stdout by default), oldest first.`;

const OPTIONS = {
  from: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

export const auditCommand: Command = {
  summary: 'the audit log: audit verify (check the hash chain), audit export (JSON lines)',
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS);
    if (values.help) {
      context.io.stdout(`${this.summary}\n\nusage: ${USAGE}`);
      return 0;
    }
    const [action, ...rest] = positionals;
    if (rest.length || (action !== 'verify' && action !== 'export'))
      throw new UsageError('expected "audit verify" or "audit export"');
    const from = values.from === undefined ? 1 : Number(values.from);
    if (!Number.isInteger(from) || from < 1) throw new UsageError('--from: expected a sequence number ≥ 1');

    const config = loadConfig({ env: context.io.env, file: context.configFile, cwd: context.io.cwd });
    const db = await openDb(config);
    try {
      await checkMasterKey(db, loadMasterKey(config.masterKey, config.dataDir).key);
      if (action === 'verify') {
        const result = await verifyAudit(db);
        if (result.ok) {
          context.io.stdout(`audit log intact: ${result.count} entries, head ${result.head}`);
          return 0;
        }
        context.io.stderr(`audit log broken at row ${result.seq}: ${result.reason}`);
        return 1;
      }
      const out = values.output ? createWriteStream(values.output, { mode: 0o600 }) : undefined;
      let count = 0;
      for await (const record of readAudit(db, from)) {
        const line = `${JSON.stringify(record)}\n`;
        if (out) {
          if (!out.write(line)) await new Promise((resolve) => out.once('drain', resolve));
        } else context.io.stdout(line);
        count++;
      }
      if (out) {
        await new Promise<void>((resolve, reject) =>
          out.end((error?: Error | null) => (error ? reject(error) : resolve())),
        );
        context.io.stderr(`exported ${count} entries to ${values.output}`);
      }
      return 0;
    } finally {
      await db.close();
    }
  },
};
