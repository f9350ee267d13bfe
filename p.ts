import { readFileSync } from 'node:fs';

const rss = () =>
  Math.round(Number(readFileSync('/proc/self/status', 'utf8').match(/VmRSS:\s+(\d+)/)![1]) / 1024);
const mb = (n: number) => Math.round(n / 2 ** 20);
console.log('start', rss());
const { loadConfig } = await import('./src/config/load.ts');
const { createLogger } = await import('./src/log.ts');
const { serve } = await import('./src/server.ts');
console.log('imports', rss());
const cfg = loadConfig({ env: { GATEHOUSE_DATA_DIR: '/tmp/prof/d', PORT: '18091' } });
const s = await serve(cfg, createLogger('warn'));
console.log('ready', rss());
await new Promise((r) => setTimeout(r, 5000));
const m = process.memoryUsage();
console.log('idle', rss(), {
  heapUsed: mb(m.heapUsed),
  heapTotal: mb(m.heapTotal),
  external: mb(m.external),
  arrayBuffers: mb(m.arrayBuffers),
});
await s.stop();
