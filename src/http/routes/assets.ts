import { readFileSync } from 'node:fs';
import Router from '@koa/router';

const ASSETS = new URL('../../../views/assets/', import.meta.url).pathname;
const TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };

/** Static files of the pages, read once at start. */
export function assetRoutes(): Router {
  const router = new Router();
  const files = new Map(
    ['gatehouse.css'].map((name) => [
      name,
      { body: readFileSync(`${ASSETS}${name}`), type: TYPES[name.split('.').pop()!]! },
    ]),
  );
  router.get('/assets/:name', (ctx) => {
    const file = files.get(ctx.params['name']!);
    if (!file) return;
    ctx.type = file.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = file.body;
  });
  return router;
}
