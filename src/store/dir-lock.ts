import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { GatehouseError } from '../errors.ts';

/**
 * Makes this process the only owner of a data folder: two processes on one PGlite folder would
 * corrupt it. A lock left by a process that no longer runs is taken over.
 */
export function acquireDirLock(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(path);
        } catch {}
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8'));
      if (owner && isRunning(owner)) {
        throw new GatehouseError(
          'unavailable',
          'store.locked',
          `data folder is in use by process ${owner} (${path}); the embedded database allows one process — use DATABASE_URL for several nodes`,
        );
      }
      unlinkSync(path);
    }
  }
  throw new GatehouseError('unavailable', 'store.locked', `cannot lock data folder (${path})`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
