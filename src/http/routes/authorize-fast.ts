// POST /api/v1/authorize answered before Koa: resource services call it on every request they
// serve, and the full middleware stack costs more than the decision itself. Same contract as the
// route in the admin API table (which documents it and serves it when this path is not mounted):
// bearer token with scope `authorize`, the same body schema, the same answer and error JSON.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter, Histogram } from 'prom-client';
import {
  type AuthorizeRequest,
  answerAuthorize,
  checkAuthorizeRequest,
} from '../../credentials/decision-api.ts';
import { GatehouseError, isGatehouseError } from '../../errors.ts';
import type { Runtime } from '../../runtime.ts';
import { hasScope, type Principal } from '../../tokens/scopes.ts';
import { TOKENS_CHANNEL, tokenVerifier } from '../../tokens/tokens.ts';
import { authorizeBody } from '../api/schemas.ts';
import { STATUS_BY_KIND } from '../errors.ts';
import { securityHeaderList } from '../middleware/security-headers.ts';

export interface FastRoute {
  method: string;
  /** Matched exactly against the request URL (no query). */
  url: string;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** Verified tokens are remembered this long (a revocation also clears the cache at once, by NOTIFY). */
const TOKEN_CACHE_MS = 5_000;
const ROUTE = '/api/v1/authorize';

export function authorizeFastRoute(runtime: Runtime): FastRoute {
  const verify = tokenVerifier(runtime.db);
  const cache = new Map<string, { principal: Principal | undefined; until: number }>();
  void runtime.db.listen(TOKENS_CHANNEL, () => cache.clear()).catch(() => {});
  const headers = securityHeaderList(runtime.config.url.startsWith('https:'));
  const limit = runtime.config.http.bodyLimit;
  const histogram = runtime.metrics.getSingleMetric('gatehouse_http_request_duration_seconds') as
    | Histogram
    | undefined;
  const counter = runtime.metrics.getSingleMetric('gatehouse_http_requests_total') as Counter | undefined;
  const observers = new Map<number, (seconds: number) => void>();
  const observe = (status: number, seconds: number) => {
    let fn = observers.get(status);
    if (!fn) {
      const labels = { method: 'POST', route: ROUTE, status: String(status) };
      const h = histogram?.labels(labels);
      const c = counter?.labels(labels);
      fn = (s) => {
        h?.observe(s);
        c?.inc();
      };
      observers.set(status, fn);
    }
    fn(seconds);
  };

  /** The cached answer for a bearer token, if fresh: no promise for the common case. */
  const cachedPrincipal = (bearer: string) => {
    const hit = cache.get(bearer);
    return hit && hit.until > Date.now() ? hit : undefined;
  };
  const principalOf = async (bearer: string): Promise<Principal | undefined> => {
    const now = Date.now();
    const principal = await verify(bearer);
    if (cache.size > 1000) cache.clear();
    cache.set(bearer, { principal, until: now + TOKEN_CACHE_MS });
    return principal;
  };

  // Headers go out in one writeHead call with a flat list: cheaper than a setHeader per header.
  const fixed = [
    ...headers.flat(),
    'Cache-Control',
    'no-store',
    'Content-Type',
    'application/json; charset=utf-8',
  ];
  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    requestId: string,
    extra?: [string, string],
  ) => {
    const text = JSON.stringify(body);
    const list = fixed.concat('X-Request-Id', requestId, 'Content-Length', String(Buffer.byteLength(text)));
    if (extra) list.push(extra[0], extra[1]);
    res.writeHead(status, list);
    res.end(text);
  };

  const readBody = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > limit) return reject(tooLarge(limit));
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          req.removeAllListeners('data');
          req.resume();
          reject(tooLarge(limit));
        } else chunks.push(chunk);
      });
      req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
      req.on('error', reject);
    });

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<number> {
    const header = req.headers.authorization;
    const bearer = header ? BEARER.exec(header)?.[1] : undefined;
    const cached = bearer ? cachedPrincipal(bearer) : undefined;
    const principal = cached ? cached.principal : bearer ? await principalOf(bearer) : undefined;
    if (!principal) {
      req.resume();
      send(
        res,
        401,
        {
          error: {
            code: 'auth.invalid_token',
            message: header
              ? 'the bearer token is unknown, expired or revoked'
              : 'a bearer token is required (Authorization: Bearer <token>)',
            requestId,
          },
        },
        requestId,
        [
          'WWW-Authenticate',
          header ? 'Bearer realm="gatehouse", error="invalid_token"' : 'Bearer realm="gatehouse"',
        ],
      );
      return 401;
    }
    if (!hasScope(principal.scopes, 'authorize')) {
      req.resume();
      send(
        res,
        403,
        {
          error: {
            code: 'auth.insufficient_scope',
            message: 'this operation needs the scope authorize (or admin)',
            requestId,
            details: { scope: 'authorize' },
          },
        },
        requestId,
        ['WWW-Authenticate', 'Bearer realm="gatehouse", error="insufficient_scope", scope="authorize"'],
      );
      return 403;
    }
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
      req.resume();
      throw new GatehouseError('invalid', 'request.content_type', 'expected Content-Type: application/json');
    }
    const raw = await readBody(req);
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new GatehouseError('invalid', 'request.malformed_json', 'request body is not valid JSON');
    }
    send(
      res,
      200,
      answerAuthorize(runtime.access.verifier, checkAuthorizeRequest(json) ?? validate(json)),
      requestId,
    );
    return 200;
  }

  /** The schema's verdict (checkAuthorizeRequest vouches only for the common well-formed bodies). */
  function validate(json: unknown): AuthorizeRequest {
    const parsed = authorizeBody.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.') || '(body)',
        message:
          issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message,
      }));
      throw new GatehouseError(
        'invalid',
        'request.invalid',
        problems.map((p) => `${p.path}: ${p.message}`).join('; '),
        {
          problems,
        },
      );
    }
    return parsed.data;
  }

  return {
    method: 'POST',
    url: ROUTE,
    handle(req, res) {
      const started = performance.now();
      const incoming = req.headers['x-request-id'];
      const requestId = typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID();
      handle(req, res, requestId).then(
        (status) => observe(status, (performance.now() - started) / 1000),
        (error: unknown) => {
          let status = 500;
          let body: unknown = {
            error: {
              code: 'internal_error',
              message: 'internal error; quote the request id to an administrator',
              requestId,
            },
          };
          if (isGatehouseError(error)) {
            status = STATUS_BY_KIND[error.kind];
            body = {
              error: {
                code: error.code,
                message: error.message,
                requestId,
                ...(error.details ? { details: error.details } : {}),
              },
            };
          } else runtime.log.error({ err: error, reqId: requestId, path: ROUTE }, 'internal error');
          if (!res.headersSent)
            send(res, status, body, requestId, status === 503 ? ['Retry-After', '5'] : undefined);
          else res.destroy();
          observe(status, (performance.now() - started) / 1000);
        },
      );
    },
  };
}

function tooLarge(limit: number): GatehouseError {
  return new GatehouseError('too_large', 'request.too_large', `request body larger than ${limit} bytes`);
}
