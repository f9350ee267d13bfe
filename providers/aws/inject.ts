import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Writable } from 'node:stream';

export interface Injected {
  status: number;
  headers: Record<string, string>;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * Hands a request to a Node request handler in the same process and collects the answer: how the
 * AWS front doors use the OpenID provider's endpoints (token, device authorization) without a
 * second token system and without a network hop. Only what Koa and oidc-provider read is modelled.
 */
export function inject(
  handler: Handler,
  request: {
    method: string;
    /** The path the handler sees, and the one the request arrived at (mount point = the difference). */
    url: string;
    originalUrl?: string;
    headers: Record<string, string>;
    body?: string;
    remoteAddress?: string;
    secure?: boolean;
  },
): Promise<Injected> {
  const payload = Buffer.from(request.body ?? '');
  const req = Readable.from(payload.length ? [payload] : []) as unknown as IncomingMessage &
    Record<string, unknown>;
  const headers: Record<string, string> = { host: 'gatehouse.internal' };
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  headers['content-length'] = String(payload.length);
  Object.assign(req, {
    method: request.method,
    url: request.url,
    originalUrl: request.originalUrl ?? request.url,
    headers,
    httpVersion: '1.1',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    socket: { remoteAddress: request.remoteAddress ?? '127.0.0.1', encrypted: request.secure === true },
  });
  (req as unknown as { connection: unknown }).connection = (req as unknown as { socket: unknown }).socket;

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const out = new Map<string, string | string[] | number>();
    const res = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(Buffer.from(chunk));
        done();
      },
    }) as unknown as ServerResponse & Record<string, unknown>;
    let ended = false;
    const finish = () => {
      const flat: Record<string, string> = {};
      for (const [name, value] of out) flat[name] = Array.isArray(value) ? value.join(', ') : String(value);
      resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), headers: flat });
    };
    Object.assign(res, {
      statusCode: 200,
      statusMessage: '',
      headersSent: false,
      sendDate: false,
      setHeader(name: string, value: string | string[] | number) {
        out.set(name.toLowerCase(), value);
        return res;
      },
      getHeader: (name: string) => out.get(name.toLowerCase()),
      getHeaders: () => Object.fromEntries(out),
      getHeaderNames: () => [...out.keys()],
      hasHeader: (name: string) => out.has(name.toLowerCase()),
      removeHeader: (name: string) => {
        out.delete(name.toLowerCase());
      },
      writeHead(status: number, ...rest: unknown[]) {
        res.statusCode = status;
        const last = rest[rest.length - 1];
        if (last && typeof last === 'object')
          for (const [k, v] of Object.entries(last)) out.set(k.toLowerCase(), v as string);
        (res as { headersSent: boolean }).headersSent = true;
        return res;
      },
    });
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      (res as { headersSent: boolean }).headersSent = true;
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((...args: unknown[]) => {
      if (ended) return res;
      ended = true;
      (res as { headersSent: boolean }).headersSent = true;
      const chunk = typeof args[0] === 'function' ? undefined : args[0];
      if (chunk !== undefined && chunk !== null) chunks.push(Buffer.from(chunk as string));
      (end as () => void)();
      return res;
    }) as typeof res.end;
    res.on('finish', finish);
    res.on('error', reject);
    Promise.resolve(handler(req, res)).catch(reject);
  });
}
