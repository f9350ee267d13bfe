import type { Context } from 'koa';
import { GatehouseError } from '../errors.ts';

/**
 * Reads the request body into memory up to `limit` bytes; a larger body is refused with 413
 * before it is all read. Raw bytes are kept (SigV4 verification hashes exactly what was sent).
 */
export async function readBody(ctx: Context, limit: number): Promise<Buffer> {
  const cached = ctx.state['rawBody'] as Buffer | undefined;
  if (cached) return cached;
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  ctx.state['rawBody'] = body;
  return body;
}

/** A JSON request body; malformed JSON or a wrong content type is a 400 with a stable code. */
export async function readJson(ctx: Context, limit: number): Promise<unknown> {
  if (!ctx.is('application/json', 'application/*+json')) {
    throw new GatehouseError('invalid', 'request.content_type', 'expected Content-Type: application/json');
  }
  const body = await readBody(ctx, limit);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatehouseError('invalid', 'request.malformed_json', 'request body is not valid JSON');
  }
}

/** An application/x-www-form-urlencoded body. */
export async function readForm(ctx: Context, limit: number): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new GatehouseError(
      'invalid',
      'request.content_type',
      'expected Content-Type: application/x-www-form-urlencoded',
    );
  }
  return new URLSearchParams((await readBody(ctx, limit)).toString('utf8'));
}

function tooLarge(limit: number): GatehouseError {
  return new GatehouseError('too_large', 'request.too_large', `request body larger than ${limit} bytes`);
}
