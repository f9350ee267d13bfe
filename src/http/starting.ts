import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from './app.ts';

/** What a starting node is doing: the check `/readyz` names, and its state ("loading"). */
export interface StartupStep {
  check: string;
  status: string;
}

const json = (res: ServerResponse, status: number, body: unknown, head = false) => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...(status === 503 ? { 'Retry-After': '1' } : {}),
  });
  res.end(head ? undefined : text);
};

/**
 * Answers while `serve` loads what it must hold before it can judge anything (the database, the key
 * ring, the revocation set): alive for `/healthz`, not ready for `/readyz` (naming the step), and
 * 503 for everything else. No request reaches a verifier before the revocation set is loaded, so a
 * restarted node refuses every credential and token until then (fail closed) while orchestrators
 * can already tell "starting" from "dead".
 */
export function startingHandler(step: () => StartupStep): RequestHandler {
  return (req: IncomingMessage, res: ServerResponse) => {
    const head = req.method === 'HEAD';
    const { check, status } = step();
    if (req.url === '/healthz') return json(res, 200, { status: 'ok' }, head);
    if (req.url === '/readyz')
      return json(res, 503, { status: 'not ready', checks: { [check]: status } }, head);
    json(
      res,
      503,
      { error: { code: 'starting', message: `Gatehouse is starting (${check}: ${status})`, requestId: '' } },
      head,
    );
  };
}
