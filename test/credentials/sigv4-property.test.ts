// Property tests: whatever the path, query, headers and body, signing then verifying
// succeeds; changing any single character of what was signed makes verification fail;
// and no input at all makes the verifier throw.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type SigV4Request, signSigV4, verifySigV4 } from '../../src/credentials/sigv4.ts';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const NOW = new Date('2015-08-30T12:36:00Z');
const lookup = (id: string) => (id === 'AKIDEXAMPLE' ? { secretAccessKey: SECRET } : undefined);

// How clients put text on the wire (RFC 3986, as the AWS SDKs encode).
const wire = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

// Dot and empty segments are normalised away, so changes inside them can be invisible by design.
const segment = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 8 })
  .filter((s) => s !== '.' && s !== '..');
const path = fc
  .tuple(fc.array(segment, { maxLength: 4 }), fc.boolean())
  .map(([segments, slash]) => '/' + segments.map(wire).join('/') + (slash && segments.length > 0 ? '/' : ''));
const query = fc
  .array(
    fc.tuple(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 6 })),
    {
      maxLength: 4,
    },
  )
  .map((pairs) => pairs.map(([k, v]) => `${wire(k)}=${wire(v)}`).join('&'));
const headers = fc.dictionary(
  fc.stringMatching(/^x-[a-z0-9-]{1,10}$/),
  fc.stringMatching(/^[\x21-\x7e](?:[\x20-\x7e]{0,20}[\x21-\x7e])?$/),
  { maxKeys: 4 },
);
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
  path,
  query,
  headers,
  body: fc.string({ unit: 'grapheme', maxLength: 40 }),
  s3: fc.boolean(),
  presign: fc.boolean(),
});

type Generated = typeof request extends fc.Arbitrary<infer T> ? T : never;

function signedRequest(g: Generated): SigV4Request {
  const out = signSigV4(
    {
      method: g.method,
      path: g.path,
      query: g.query,
      headers: { ...g.headers, Host: 'example.amazonaws.com' },
      body: g.body,
    },
    {
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, sessionToken: 'session/token+1=' },
      region: 'us-east-1',
      service: g.s3 ? 's3' : 'execute-api',
      date: NOW,
      ...(g.presign ? { presign: { expiresIn: 3600 } } : {}),
    },
  );
  return { method: g.method, path: g.path, query: out.query, headers: out.headers, body: g.body };
}

const verify = (r: SigV4Request) => verifySigV4(r, lookup, { now: NOW });

/** Every place a single character can be changed: method, path, query, body and each header value. */
function mutations(r: SigV4Request, g: Generated): ((replace: (s: string) => string) => SigV4Request)[] {
  const out: ((replace: (s: string) => string) => SigV4Request)[] = [
    (f) => ({ ...r, method: f(r.method) }),
    (f) => ({ ...r, path: f(r.path) }),
  ];
  if (r.query !== '') out.push((f) => ({ ...r, query: f(r.query) }));
  // An S3 presigned URL signs UNSIGNED-PAYLOAD: its body is deliberately not covered.
  if (g.body !== '' && !(g.s3 && g.presign)) out.push((f) => ({ ...r, body: f(g.body) }));
  for (const [name, value] of Object.entries(r.headers)) {
    if (typeof value === 'string' && value !== '') {
      out.push((f) => ({ ...r, headers: { ...r.headers, [name]: f(value) } }));
    }
  }
  return out;
}

describe('sign then verify', () => {
  test('round-trips for random paths, queries, headers and bodies', () => {
    fc.assert(
      fc.property(request, (g) => {
        const result = verify(signedRequest(g));
        expect(result).toMatchObject({ ok: true, presigned: g.presign, securityToken: 'session/token+1=' });
      }),
      { numRuns: 400 },
    );
  });

  test('fails after any single-character change', () => {
    // Replacements are letters that are not hex digits, so they cannot re-spell a %XY escape.
    const replacement = fc.constantFrom(...'ghijklmnopqrstuvwxyz');
    fc.assert(
      fc.property(request, fc.nat(), fc.nat(), replacement, (g, which, at, letter) => {
        const r = signedRequest(g);
        const options = mutations(r, g);
        const mutate = options[which % options.length]!;
        const changed = mutate((s) => {
          const i = at % s.length;
          const c = s[i] === letter ? (letter === 'z' ? 'y' : 'z') : letter;
          return s.slice(0, i) + c + s.slice(i + 1);
        });
        expect(verify(changed)).toMatchObject({ ok: false });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('robustness', () => {
  const text = fc.string({ unit: 'binary', maxLength: 60 });
  test('arbitrary input never throws', () => {
    fc.assert(
      fc.property(
        fc.record({
          method: text,
          path: text,
          query: fc.oneof(text, fc.constant('X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00')),
          headers: fc.dictionary(
            fc.constantFrom(
              'authorization',
              'x-amz-date',
              'date',
              'host',
              'x-amz-security-token',
              'x-amz-content-sha256',
            ),
            fc.oneof(text, fc.array(text, { maxLength: 3 })),
          ),
          body: text,
        }),
        (r) => {
          const result = verify(r);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 500 },
    );
  });

  test('near-valid Authorization headers never throw', () => {
    const base = signedRequest({
      method: 'GET',
      path: '/',
      query: '',
      headers: {},
      body: '',
      s3: false,
      presign: false,
    });
    const auth = base.headers['authorization'] as string;
    fc.assert(
      fc.property(fc.nat(), fc.string({ unit: 'binary', maxLength: 3 }), (at, insert) => {
        const i = at % (auth.length + 1);
        const result = verify({
          ...base,
          headers: { ...base.headers, authorization: auth.slice(0, i) + insert + auth.slice(i) },
        });
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});
