// checkAuthorizeRequest is the HTTP fast path's stand-in for the zod schema: it must never accept
// what the schema refuses, must give the schema's output when it accepts, and must accept the
// ordinary bodies (or it saves nothing).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { authorizeRequestSchema, checkAuthorizeRequest } from '../../src/credentials/decision-api.ts';

const ordinary = {
  request: {
    method: 'GET',
    path: '/2026/q1.pdf',
    query: 'x-id=GetObject',
    headers: {
      host: 'reports.s3.eu-west-1.amazonaws.com',
      'x-amz-date': '20260301T120000Z',
      authorization: 'AWS4-HMAC-SHA256 Credential=…',
    },
    payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  },
  action: 's3:GetObject',
  resource: 'arn:aws:s3:::reports/2026/q1.pdf',
  sourceIp: '198.51.100.7',
};

const KEEP = Symbol('keep');
const LIMITS = [
  0, 1, 16, 17, 64, 65, 256, 257, 1024, 1025, 2048, 2049, 4096, 4097, 8192, 8193, 16_384, 16_385,
];
/** Strings at and around each limit the schema sets, and values of the wrong type. */
const text = fc.oneof(
  fc.constantFrom(...LIMITS).map((n) => 'a'.repeat(n)),
  fc.constantFrom(
    'GET',
    'get',
    'G3T',
    'GE T',
    'A'.repeat(64),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  ),
);
const value = fc.oneof(
  { weight: 4, arbitrary: text },
  fc.array(text, { maxLength: 2 }),
  fc.constantFrom(...LIMITS).chain((n) => fc.constant(Array.from({ length: Math.min(n, 201) }, () => 'v'))),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(text, text, { maxKeys: 2 }),
);
/** Mostly the ordinary value; now and then something at a limit or of another type, or nothing. */
const field = fc.oneof(
  { weight: 20, arbitrary: fc.constant<typeof KEEP | undefined | unknown>(KEEP) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: value },
);
const fields = (names: string[]) => fc.record(Object.fromEntries(names.map((n) => [n, field])));
const body = fc
  .record({
    top: fields([
      'request',
      'action',
      'resource',
      'context',
      'sourceIp',
      'secureTransport',
      'allowUnsignedPayload',
      'extra',
    ]),
    request: fields(['method', 'host', 'path', 'query', 'headers', 'payloadHash', 'body']),
    header: fc.oneof(
      { weight: 3, arbitrary: fc.constant(KEEP) },
      fc.tuple(fc.oneof(text, fc.constant('__proto__')), value),
    ),
    context: fc.option(fc.dictionary(text, value, { maxKeys: 2 })),
  })
  .map(({ top, request, header, context }) => {
    const b: Record<string, unknown> = structuredClone(ordinary);
    const r = b.request as Record<string, unknown>;
    if (context !== null) b.context = context;
    const apply = (o: Record<string, unknown>, changes: Record<string, unknown>) => {
      for (const [k, v] of Object.entries(changes)) {
        if (v === undefined) delete o[k];
        else if (v !== KEEP) o[k] = v;
      }
    };
    apply(r, request);
    apply(b, top);
    // Through JSON, as the route sees it; a "__proto__" key is an own property there.
    let json = JSON.stringify(b);
    const headers = r.headers;
    if (header !== KEEP && typeof headers === 'object' && headers !== null && !Array.isArray(headers)) {
      const more = Object.keys(headers).length > 0 ? ',' : '';
      json = json.replace(
        '"headers":{',
        `"headers":{${JSON.stringify(header[0])}:${JSON.stringify(header[1])}${more}`,
      );
    }
    return JSON.parse(json) as unknown;
  });

/** The fast check and the schema agree on one body (as it comes out of JSON); true when accepted. */
function agree(b: unknown): boolean {
  const input = JSON.parse(JSON.stringify(b)) as unknown;
  const fast = checkAuthorizeRequest(input);
  if (fast === undefined) return false;
  const schema = authorizeRequestSchema.safeParse(input);
  expect(schema.success, JSON.stringify(b).slice(0, 300)).toBe(true);
  expect(fast).toEqual(schema.data);
  return true;
}

const strings = (n: number, each = 'v') => Array.from({ length: n }, () => each);
const entries = (n: number, v: unknown) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, v]));
/** Every value tried in every field, one field at a time. */
const CANDIDATES: unknown[] = [
  undefined,
  ...LIMITS.map((n) => 'a'.repeat(n)),
  'GET',
  'GE T',
  'A'.repeat(64),
  'g'.repeat(64),
  1,
  true,
  null,
  ...[0, 1, 32, 33, 100, 101].map((n) => strings(n)),
  [1],
  ['a'.repeat(4097)],
  ['a'.repeat(16_385)],
  {},
  { a: 'b' },
  { a: ['b'] },
  { a: [] },
  { a: 1 },
  { a: true },
  { a: null },
  { a: { b: 'c' } },
  { '': 'x' },
  { ['k'.repeat(257)]: 'x' },
  { a: strings(33) },
  { a: strings(101) },
  { a: ['a'.repeat(4097)] },
  { a: 'a'.repeat(4097) },
  { a: 'a'.repeat(16_385) },
  entries(200, 'v'),
  entries(201, 'v'),
];

describe('checkAuthorizeRequest', () => {
  test('agrees with the schema on every field set to every boundary value', () => {
    let accepted = 0;
    for (const value of CANDIDATES) {
      for (const name of Object.keys({
        ...ordinary,
        context: 0,
        secureTransport: 0,
        allowUnsignedPayload: 0,
        extra: 0,
      })) {
        const b: Record<string, unknown> = structuredClone(ordinary);
        b[name] = value;
        if (agree(b)) accepted++;
      }
      for (const name of [...Object.keys(ordinary.request), 'host', 'body']) {
        const b = structuredClone(ordinary) as { request: Record<string, unknown> };
        b.request[name] = value;
        if (agree(b)) accepted++;
      }
    }
    expect(accepted).toBeGreaterThan(50);
  });

  test('accepts the ordinary body, with the schema output', () => {
    expect(checkAuthorizeRequest(ordinary)).toEqual(authorizeRequestSchema.parse(ordinary));
    const { query: _, ...noQuery } = ordinary.request;
    const withoutQuery = { ...ordinary, request: noQuery, context: { 's3:prefix': ['a'], n: 1, b: true } };
    expect(checkAuthorizeRequest(withoutQuery)).toEqual(authorizeRequestSchema.parse(withoutQuery));
    expect(checkAuthorizeRequest(withoutQuery)?.request.query).toBe('');
  });

  test('never accepts what the schema refuses, and agrees with its output', () => {
    let accepted = 0;
    fc.assert(
      fc.property(body, (b) => {
        const fast = checkAuthorizeRequest(b);
        if (fast === undefined) return;
        accepted++;
        const schema = authorizeRequestSchema.safeParse(b);
        expect(schema.success).toBe(true);
        expect(fast).toEqual(schema.data);
      }),
      { numRuns: 4000 },
    );
    // The property said something: many generated bodies were vouched for.
    expect(accepted).toBeGreaterThan(100);
  });

  test('declines non-JSON values the schema refuses', () => {
    for (const bad of [
      null,
      [],
      'x',
      { ...ordinary, context: { n: Number.NaN } },
      { ...ordinary, context: { n: Number.POSITIVE_INFINITY } },
      { ...ordinary, request: { ...ordinary.request, headers: { '': 'x' } } },
      { ...ordinary, request: { ...ordinary.request, headers: { a: [] } } },
      { ...ordinary, request: { ...ordinary.request, method: 'GE T' } },
      { ...ordinary, extra: 1 },
    ]) {
      expect(checkAuthorizeRequest(bad)).toBeUndefined();
      expect(authorizeRequestSchema.safeParse(bad).success).toBe(false);
    }
  });
});
