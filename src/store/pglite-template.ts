import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * PGlite's initdb takes seconds; loading a freshly initialised cluster from a tarball takes a
 * fraction of that. `npm ci` (the `prepare` script) makes the tarball once per PGlite version into
 * node_modules/.cache; a first start uses it when present and falls back to initdb when not.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const version = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
export const TEMPLATE_PATH = join(ROOT, 'node_modules', '.cache', 'gatehouse', `pglite-${version}-empty.tgz`);

export function readTemplate(): Blob | undefined {
  return existsSync(TEMPLATE_PATH) ? new Blob([readFileSync(TEMPLATE_PATH)]) : undefined;
}

export async function writeTemplate(): Promise<string> {
  if (existsSync(TEMPLATE_PATH)) return TEMPLATE_PATH;
  const pg = await PGlite.create();
  const dump = await pg.dumpDataDir('gzip');
  await pg.close();
  mkdirSync(dirname(TEMPLATE_PATH), { recursive: true });
  const partial = `${TEMPLATE_PATH}.${process.pid}`;
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  renameSync(partial, TEMPLATE_PATH);
  return TEMPLATE_PATH;
}
