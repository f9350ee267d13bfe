import Router from '@koa/router';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GatehouseError } from '../../src/errors.ts';
import { readJson } from '../../src/http/body.ts';
import { backends } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

function testRoutes(): Router {
  const router = new Router();
  router.get('/boom', () => {
    throw new Error('secret internals at /srv/app.ts:42');
  });
  router.get('/missing', () => {
    throw new GatehouseError('not_found', 'test.missing', 'no such thing');
  });
  router.get('/down', () => {
    throw new GatehouseError('unavailable', 'store.unavailable', 'database unavailable');
  });
  router.post('/echo', async (ctx) => {
    ctx.body = { got: await readJson(ctx, 1024) };
  });
  return router;
}

describe.each(backends)('HTTP server on $name', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ backend: backend.name, routers: () => [testRoutes()] });
  });
  afterAll(() => server.stop());

  test('/healthz answers without touching anything else', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${server.url}/healthz`, { method: 'HEAD' })).status).toBe(200);
  });

  test('responses carry security headers and a request id', async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  test('a safe incoming request id is kept, an unsafe one replaced', async () => {
    const kept = await fetch(`${server.url}/readyz`, { headers: { 'x-request-id': 'lb-123.abc' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-123.abc');
    const replaced = await fetch(`${server.url}/readyz`, { headers: { 'x-request-id': 'bad id <script>' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('/readyz reports each check', async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok', keys: 'ok', revocation: 'ok' },
    });
  });

  test('/metrics is valid Prometheus text with request, pool and process metrics', async () => {
    await fetch(`${server.url}/healthz`);
    await fetch(`${server.url}/readyz`);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const families = parsePrometheusTextFormat(text);
    const byName = new Map(families.map((f) => [f.name, f]));
    const requests = byName.get('gatehouse_http_request_duration_seconds');
    expect(requests?.type).toBe('HISTOGRAM');
    expect(Object.keys(requests!.metrics[0]!.buckets ?? {})).toContain('+Inf');
    const total = byName.get('gatehouse_http_requests_total');
    expect(total?.type).toBe('COUNTER');
    const readyz = total!.metrics.find(
      (m) => m.labels?.['route'] === '/readyz' && m.labels?.['status'] === '200',
    );
    expect(Number(readyz?.value)).toBeGreaterThanOrEqual(1);
    expect(Number(byName.get('gatehouse_healthz_requests_total')?.metrics[0]?.value)).toBeGreaterThanOrEqual(
      1,
    );
    const pool = byName.get('gatehouse_db_pool_connections');
    expect(pool?.metrics.map((m) => m.labels?.['state']).sort()).toEqual(['idle', 'total', 'waiting']);
    expect(byName.has('gatehouse_process_resident_memory_bytes')).toBe(true);
  });

  test('an unexpected error is a 500 without internals; the log has the stack and the request id', async () => {
    const response = await fetch(`${server.url}/boom`);
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe('internal_error');
    expect(JSON.stringify(body)).not.toContain('secret internals');
    expect(body.error.requestId).toBe(response.headers.get('x-request-id'));
    const logged = server.logs.lines.find(
      (l) => l.includes('internal error') && l.includes(body.error.requestId),
    );
    expect(logged).toContain('secret internals');
  });

  test('domain errors map to their status with a stable code', async () => {
    const missing = await fetch(`${server.url}/missing`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('test.missing');
    const down = await fetch(`${server.url}/down`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
  });

  test('unknown paths and methods answer in JSON, never a crash', async () => {
    const unknown = await fetch(`${server.url}/nope`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const method = await fetch(`${server.url}/readyz`, { method: 'DELETE' });
    expect(method.status).toBe(405);
  });

  test('bodies: size limit, content type and malformed JSON are 4xx', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${server.url}/echo`, { method: 'POST', body, headers: { 'content-type': type } });
    expect(await (await post('{"a":1}')).json()).toEqual({ got: { a: 1 } });
    const big = await post(JSON.stringify({ a: 'x'.repeat(5000) }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('request.too_large');
    const malformed = await post('{"a":');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe(
      'request.malformed_json',
    );
    expect((await post('a=1', 'text/plain')).status).toBe(400);
  });

  test('readiness fails when the database goes away', async () => {
    const other = await startTestServer({ backend: backend.name });
    await other.runtime.db.close();
    const response = await fetch(`${other.url}/readyz`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { checks: Record<string, string> };
    expect(body.checks['database']).not.toBe('ok');
    await other.stop();
  });
});
