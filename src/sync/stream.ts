// Reads a connector's sync stream item by item, giving up when the run's deadline passes or it is
// asked to stop: the caller then treats the run as incomplete (nothing destructive happens).
import type { SyncItem } from '../../connectors/types.ts';

export type Next = { item: SyncItem } | { done: true } | { stopped: 'timeout' | 'stopped' };

export function reader(items: AsyncIterable<SyncItem>, deadline: number, signal?: AbortSignal) {
  const iterator = items[Symbol.asyncIterator]();
  let finished = false;
  return {
    async next(): Promise<Next> {
      if (signal?.aborted) return this.stop('stopped');
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const stop = new Promise<Next>((resolve) => {
        timer = setTimeout(() => resolve({ stopped: 'timeout' }), Math.max(0, deadline - Date.now()));
        onAbort = () => resolve({ stopped: 'stopped' });
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      try {
        const pending = iterator.next().then((x): Next => (x.done ? { done: true } : { item: x.value }));
        pending.catch(() => {}); // when the stop wins, a later failure of this read concerns no one
        const r = await Promise.race([pending, stop]);
        if ('stopped' in r) return this.stop(r.stopped);
        if ('done' in r) finished = true;
        return r;
      } finally {
        clearTimeout(timer);
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
    },
    stop(why: 'timeout' | 'stopped'): Next {
      // Not awaited: a generator busy in a directory operation returns once that operation ends.
      if (!finished) void iterator.return?.(undefined)?.catch(() => {});
      finished = true;
      return { stopped: why };
    },
  };
}
