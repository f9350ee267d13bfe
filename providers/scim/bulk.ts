import { invalidSyntax, invalidValue, scimError } from '../../src/scim/errors.ts';
import { BULK_REQUEST, BULK_RESPONSE, ERROR } from '../../src/scim/schemas.ts';
import { BULK_MAX_OPERATIONS } from './discovery.ts';
import type { ScimRequest, ScimResponse } from './handlers.ts';
import type { Json } from './user-resource.ts';
import { scimErrorOf } from './wire-errors.ts';

/**
 * Bulk (RFC 7644 §3.7): each operation is the request it describes, run through the same handler
 * in its own transaction (Bulk is not atomic). `bulkId:x` in a path or anywhere in `data` stands
 * for the id created by the operation with bulkId x; an operation whose reference is not resolved
 * yet waits until it is (so the order of operations does not matter), and fails if it never is
 * (a circular or unknown reference). `failOnErrors` stops after that many errors.
 */
interface BulkOperation {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  bulkId?: string | undefined;
  version?: string | undefined;
  path: string;
  data?: unknown;
  index: number;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const REFERENCE = /bulkId:([^/"\s]+)/g;

function parseBulk(body: unknown): { ops: BulkOperation[]; failOnErrors: number | undefined } {
  if (!isObject(body)) throw invalidSyntax('expected a BulkRequest object');
  const schemas = body['schemas'];
  if (schemas !== undefined && (!Array.isArray(schemas) || !schemas.includes(BULK_REQUEST)))
    throw invalidSyntax(`schemas must hold ${BULK_REQUEST}`);
  const raw = body['Operations'];
  if (!Array.isArray(raw)) throw invalidSyntax('Operations must be an array');
  if (raw.length > BULK_MAX_OPERATIONS)
    throw scimError('tooMany', `at most ${BULK_MAX_OPERATIONS} operations in one Bulk request`);
  const failOnErrors = body['failOnErrors'];
  if (failOnErrors !== undefined && (!Number.isInteger(failOnErrors) || (failOnErrors as number) < 1))
    throw invalidValue('failOnErrors must be a positive integer');
  const seen = new Set<string>();
  const ops = raw.map((op, index): BulkOperation => {
    if (!isObject(op)) throw invalidSyntax(`Operations[${index}] must be an object`);
    const method = typeof op['method'] === 'string' ? op['method'].toUpperCase() : '';
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(method))
      throw invalidSyntax(`Operations[${index}].method must be POST, PUT, PATCH or DELETE`);
    const path = op['path'];
    if (typeof path !== 'string' || !path.startsWith('/'))
      throw invalidSyntax(`Operations[${index}].path must be like /Users`);
    const bulkId = op['bulkId'];
    if (bulkId !== undefined && (typeof bulkId !== 'string' || bulkId === '' || /[/"\s]/.test(bulkId)))
      throw invalidValue(`Operations[${index}].bulkId must be a word`);
    if (method === 'POST' && bulkId === undefined)
      throw invalidValue(`Operations[${index}]: POST needs a bulkId`);
    if (typeof bulkId === 'string') {
      if (seen.has(bulkId)) throw invalidValue(`bulkId ${bulkId} is used twice`);
      seen.add(bulkId);
    }
    const version = op['version'];
    return {
      method: method as BulkOperation['method'],
      bulkId: bulkId as string | undefined,
      version: typeof version === 'string' ? version : undefined,
      path,
      data: op['data'],
      index,
    };
  });
  return { ops, failOnErrors: failOnErrors as number | undefined };
}

/** The bulkIds an operation refers to. */
function references(op: BulkOperation): Set<string> {
  const text = `${op.path} ${op.data === undefined ? '' : JSON.stringify(op.data)}`;
  return new Set([...text.matchAll(REFERENCE)].map((m) => m[1]!));
}

function substitute<T>(value: T, ids: Map<string, string>): T {
  const replace = (s: string) => s.replace(REFERENCE, (whole, id: string) => ids.get(id) ?? whole);
  const walk = (v: unknown): unknown =>
    typeof v === 'string'
      ? replace(v)
      : Array.isArray(v)
        ? v.map(walk)
        : isObject(v)
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
          : v;
  return walk(value) as T;
}

export async function runBulk(
  body: unknown,
  base: Omit<ScimRequest, 'method' | 'path' | 'body' | 'ifMatch'>,
  run: (request: ScimRequest) => Promise<ScimResponse>,
): Promise<ScimResponse> {
  const { ops, failOnErrors } = parseBulk(body);
  const created = new Map<string, string>();
  const results = new Map<number, Json>();
  let errors = 0;
  let pending = ops;
  while (pending.length && (failOnErrors === undefined || errors < failOnErrors)) {
    const waiting: BulkOperation[] = [];
    for (const op of pending) {
      if (failOnErrors !== undefined && errors >= failOnErrors) break;
      const unresolved = [...references(op)].filter((id) => !created.has(id));
      if (unresolved.length) {
        waiting.push(op);
        continue;
      }
      const result = await runOne(op, created, base, run);
      if (Number(result['status']) >= 400) errors++;
      results.set(op.index, result);
    }
    if (waiting.length === pending.length) {
      // No progress: the rest refer to bulkIds that will never be created.
      for (const op of waiting) {
        results.set(op.index, failure(op, 409, `unresolved bulkId reference in ${op.method} ${op.path}`));
        errors++;
      }
      break;
    }
    pending = waiting.filter((op) => !results.has(op.index));
  }
  return {
    status: 200,
    body: {
      schemas: [BULK_RESPONSE],
      Operations: ops.filter((op) => results.has(op.index)).map((op) => results.get(op.index)!),
    },
  };
}

async function runOne(
  op: BulkOperation,
  created: Map<string, string>,
  base: Omit<ScimRequest, 'method' | 'path' | 'body' | 'ifMatch'>,
  run: (request: ScimRequest) => Promise<ScimResponse>,
): Promise<Json> {
  const path = substitute(op.path, created);
  if (/^\/Bulk\b/i.test(path)) return failure(op, 400, 'Bulk cannot contain Bulk', 'invalidValue');
  try {
    const answer = await run({
      ...base,
      method: op.method,
      path,
      query: new URLSearchParams(),
      body: substitute(op.data, created),
      ifMatch: op.version,
    });
    const id = answer.body?.['id'];
    if (op.method === 'POST' && op.bulkId && typeof id === 'string') created.set(op.bulkId, id);
    return {
      method: op.method,
      ...(op.bulkId ? { bulkId: op.bulkId } : {}),
      ...(answer.etag ? { version: answer.etag } : {}),
      ...(answer.location && op.method !== 'DELETE' ? { location: answer.location } : {}),
      status: String(answer.status),
    };
  } catch (error) {
    const { status, body } = scimErrorOf(error);
    if (status >= 500) throw error;
    return {
      method: op.method,
      ...(op.bulkId ? { bulkId: op.bulkId } : {}),
      status: String(status),
      response: body,
    };
  }
}

function failure(op: BulkOperation, status: number, detail: string, scimType?: string): Json {
  return {
    method: op.method,
    ...(op.bulkId ? { bulkId: op.bulkId } : {}),
    status: String(status),
    response: {
      schemas: [ERROR],
      status: String(status),
      ...(scimType ? { scimType } : {}),
      detail,
    },
  };
}
