// Every way a request can fail verification gives the AWS error code and status, never a throw.
import { describe, expect, test } from 'vitest';
import {
  createSigningKeyCache,
  type SigV4Request,
  type SigV4SignOptions,
  type SigV4VerifyOptions,
  signSigV4,
  verifySigV4,
} from '../../src/credentials/sigv4.ts';
import { sha256Hex } from '../../src/credentials/sigv4-canonical.ts';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SIGNED_AT = new Date('2015-08-30T12:36:00Z');
const lookup = (id: string) => (id === 'AKIDEXAMPLE' ? { secretAccessKey: SECRET } : undefined);
const signing: SigV4SignOptions = {
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET },
  region: 'us-east-1',
  service: 'sts',
  date: SIGNED_AT,
};

const base = {
  method: 'POST',
  path: '/',
  query: 'Extra=1',
  headers: { Host: 'sts.amazonaws.com', 'Content-Type': 'application/x-www-form-urlencoded' },
  body: 'Action=GetCallerIdentity&Version=2011-06-15',
};

function signed(options: Partial<SigV4SignOptions> = {}, request = base): SigV4Request {
  const out = signSigV4(request, { ...signing, ...options });
  return { ...request, headers: out.headers, query: out.query };
}

function verify(request: SigV4Request, options: SigV4VerifyOptions = {}) {
  return verifySigV4(request, lookup, { now: SIGNED_AT, ...options });
}

function withAuthorization(request: SigV4Request, authorization: string): SigV4Request {
  return { ...request, headers: { ...request.headers, authorization } };
}

const authorizationOf = (r: SigV4Request) => r.headers['authorization'] as string;

describe('a correctly signed request', () => {
  test('verifies, and says what was signed', () => {
    expect(verify(signed())).toMatchObject({
      ok: true,
      accessKeyId: 'AKIDEXAMPLE',
      region: 'us-east-1',
      service: 'sts',
      signedHeaders: ['content-type', 'host', 'x-amz-date'],
      date: SIGNED_AT,
      presigned: false,
    });
  });

  test('verifies within 15 minutes either side', () => {
    const request = signed();
    expect(verify(request, { now: SIGNED_AT.getTime() + 900_000 })).toMatchObject({ ok: true });
    expect(verify(request, { now: SIGNED_AT.getTime() - 900_000 })).toMatchObject({ ok: true });
  });

  test('verifies against a body hash computed by the caller, and needs one or the body', () => {
    const { body: _body, ...withoutBody } = signed();
    expect(verify({ ...withoutBody, payloadHash: sha256Hex(base.body) })).toMatchObject({
      ok: true,
      payloadChecked: true,
    });
    expect(verify(withoutBody)).toMatchObject({ ok: false, code: 'InternalFailure' });
  });
});

describe('tampering', () => {
  const request = signed();
  test.each([
    [
      'signature',
      withAuthorization(
        request,
        authorizationOf(request).replace(/.$/, (c) => (c === '0' ? '1' : '0')),
      ),
    ],
    ['body', { ...request, body: base.body + ' ' }],
    ['header', { ...request, headers: { ...request.headers, 'Content-Type': 'application/json' } }],
    ['query', { ...request, query: 'Extra=2' }],
    ['added query parameter', { ...request, query: 'Extra=1&More=1' }],
    ['path', { ...request, path: '/x' }],
    ['method', { ...request, method: 'PUT' }],
  ])('of the %s gives SignatureDoesNotMatch', (_what, tampered) => {
    expect(verify(tampered)).toEqual({
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: expect.stringContaining('does not match the signature you provided'),
      status: 403,
    });
  });

  test('a wrong secret gives SignatureDoesNotMatch', () => {
    expect(verifySigV4(request, () => ({ secretAccessKey: SECRET + 'x' }), { now: SIGNED_AT })).toMatchObject(
      {
        code: 'SignatureDoesNotMatch',
        status: 403,
      },
    );
  });

  test('an unknown key id gives InvalidClientTokenId', () => {
    expect(verifySigV4(request, () => undefined, { now: SIGNED_AT })).toEqual({
      ok: false,
      code: 'InvalidClientTokenId',
      message: 'The security token included in the request is invalid.',
      status: 403,
    });
  });

  test('a body that differs from a signed x-amz-content-sha256 gives XAmzContentSHA256Mismatch', () => {
    const withHash = signed({ contentSha256Header: true });
    expect(verify({ ...withHash, body: 'other' })).toMatchObject({
      code: 'XAmzContentSHA256Mismatch',
      status: 400,
    });
  });
});

describe('clock', () => {
  const request = signed();
  test('more than 15 minutes late: SignatureDoesNotMatch with the server time', () => {
    expect(verify(request, { now: new Date('2015-08-30T12:51:01Z') })).toEqual({
      ok: false,
      code: 'SignatureDoesNotMatch',
      message:
        'Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)',
      status: 403,
    });
  });

  test('more than 15 minutes early: SignatureDoesNotMatch with the server time', () => {
    expect(verify(request, { now: new Date('2015-08-30T12:20:59Z') })).toMatchObject({
      code: 'SignatureDoesNotMatch',
      message:
        'Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T122059Z + 15 min.)',
    });
  });

  test('the allowed skew is an option', () => {
    expect(verify(request, { now: SIGNED_AT.getTime() + 61_000, maxSkewSeconds: 60 })).toMatchObject({
      code: 'SignatureDoesNotMatch',
      message: expect.stringContaining('- 1 min.'),
    });
  });

  test('a credential scope dated another day gives SignatureDoesNotMatch', () => {
    const auth = authorizationOf(request).replace('/20150830/', '/20150829/');
    expect(verify(withAuthorization(request, auth))).toMatchObject({
      code: 'SignatureDoesNotMatch',
      message: expect.stringContaining("'20150829' != '20150830'"),
    });
  });

  test('an X-Amz-Date not in ISO 8601 basic format gives IncompleteSignature', () => {
    for (const bad of ['2015-08-30T12:36:00Z', '20150830T123600', '20151330T123600Z', '']) {
      expect(verify({ ...request, headers: { ...request.headers, 'x-amz-date': bad } })).toMatchObject({
        code: 'IncompleteSignature',
      });
    }
  });
});

describe('presigned URLs', () => {
  const presign = (expiresIn: number, options: Partial<SigV4SignOptions> = {}) =>
    signed({ presign: { expiresIn }, ...options }, { ...base, method: 'GET', body: '' });
  const withQuery = (r: SigV4Request, from: string, to: string) => ({
    ...r,
    query: r.query.replace(from, to),
  });

  test('verify until they expire, then RequestExpired', () => {
    const request = presign(300);
    expect(verify(request, { now: SIGNED_AT.getTime() + 300_000 })).toMatchObject({
      ok: true,
      presigned: true,
      expiresAt: new Date(SIGNED_AT.getTime() + 300_000),
    });
    expect(verify(request, { now: SIGNED_AT.getTime() + 300_001 })).toMatchObject({
      ok: false,
      code: 'RequestExpired',
      status: 400,
      message: expect.stringContaining('Request has expired'),
    });
  });

  test('S3 answers AccessDenied "Request has expired", as S3 does', () => {
    const request = presign(60, { service: 's3' });
    expect(verify(request, { now: SIGNED_AT.getTime() + 61_000 })).toMatchObject({
      code: 'AccessDenied',
      status: 403,
    });
  });

  test('dated more than 15 minutes ahead: SignatureDoesNotMatch', () => {
    expect(verify(presign(3600), { now: SIGNED_AT.getTime() - 901_000 })).toMatchObject({
      code: 'SignatureDoesNotMatch',
      message: expect.stringContaining('Signature not yet current'),
    });
  });

  test('X-Amz-Expires must be 1..604800 seconds', () => {
    const request = presign(3600);
    for (const bad of ['0', '604801', '-1', '1.5', 'abc', '']) {
      expect(verify(withQuery(request, 'X-Amz-Expires=3600', `X-Amz-Expires=${bad}`))).toMatchObject({
        code: 'InvalidParameterValue',
      });
    }
    expect(verify(withQuery(request, '&X-Amz-Expires=3600', ''))).toMatchObject({
      code: 'IncompleteSignature',
      message: expect.stringContaining('X-Amz-Expires'),
    });
  });

  test('a repeated authentication parameter is refused', () => {
    const request = presign(3600, { credentials: { ...signing.credentials, sessionToken: 'tok' } });
    expect(verify({ ...request, query: request.query + '&X-Amz-Security-Token=tok' })).toMatchObject({
      code: 'IncompleteSignature',
    });
  });

  test('tampered query parameters give SignatureDoesNotMatch', () => {
    const request = presign(3600);
    expect(verify(withQuery(request, 'Extra=1', 'Extra=2'))).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(verify(withQuery(request, 'X-Amz-Expires=3600', 'X-Amz-Expires=3601'))).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });

  test('an Authorization header as well is InvalidParameterCombination', () => {
    const request = presign(3600);
    expect(verify(withAuthorization(request, authorizationOf(signed())))).toMatchObject({
      code: 'InvalidParameterCombination',
      status: 400,
    });
  });
});

describe('signed headers', () => {
  const request = signed({ signHeader: (n) => n !== 'host' });
  test('host must be signed', () => {
    expect(authorizationOf(request)).toContain('SignedHeaders=content-type;x-amz-date,');
    expect(verify(request)).toMatchObject({
      code: 'IncompleteSignature',
      message: expect.stringContaining('Host'),
    });
  });

  test('the header carrying the time must be signed', () => {
    const auth = authorizationOf(signed()).replace('content-type;host;x-amz-date', 'content-type;host');
    expect(verify(withAuthorization(signed(), auth))).toMatchObject({
      code: 'IncompleteSignature',
      message: expect.stringContaining('x-amz-date'),
    });
  });

  test('every signed header must be present', () => {
    const r = signed();
    const { 'Content-Type': _, ...headers } = r.headers as Record<string, string>;
    expect(verify({ ...r, headers })).toMatchObject({
      code: 'SignatureDoesNotMatch',
      message: expect.stringContaining('content-type'),
    });
  });

  test('x-amz-security-token must be signed when present', () => {
    const r = signed({
      credentials: { ...signing.credentials, sessionToken: 'tok' },
      signHeader: (n) => n !== 'x-amz-security-token',
    });
    expect(verify(r)).toMatchObject({
      code: 'IncompleteSignature',
      message: expect.stringContaining('x-amz-security-token'),
    });
  });

  test('a session credential needs its own token', () => {
    const withToken = (t: string) => (id: string) =>
      id === 'AKIDEXAMPLE' ? { secretAccessKey: SECRET, securityToken: t } : undefined;
    const r = signed({ credentials: { ...signing.credentials, sessionToken: 'tok' } });
    expect(verifySigV4(r, withToken('tok'), { now: SIGNED_AT })).toMatchObject({
      ok: true,
      securityToken: 'tok',
    });
    expect(verifySigV4(r, withToken('other'), { now: SIGNED_AT })).toMatchObject({
      code: 'InvalidClientTokenId',
    });
    expect(verifySigV4(signed(), withToken('tok'), { now: SIGNED_AT })).toMatchObject({
      code: 'InvalidClientTokenId',
    });
  });

  test('S3 refuses x-amz-* headers outside the signature', () => {
    const r = signed({ service: 's3' }, { ...base, method: 'GET', body: '' });
    expect(verify(r)).toMatchObject({ ok: true });
    expect(verify({ ...r, headers: { ...r.headers, 'x-amz-meta-extra': '1' } })).toMatchObject({
      code: 'AccessDenied',
    });
  });

  test('UNSIGNED-PAYLOAD only where allowed', () => {
    const r = signed({ unsignedPayload: true, contentSha256Header: true });
    expect(verify(r)).toMatchObject({
      code: 'AccessDenied',
      message: expect.stringContaining('UNSIGNED-PAYLOAD'),
    });
    expect(verify(r, { allowUnsignedPayload: true })).toMatchObject({ ok: true, payloadChecked: false });
  });

  test('scope region and service are checked against expectations', () => {
    expect(verify(signed(), { region: 'eu-west-1' })).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(verify(signed(), { service: ['iam', 's3'] })).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(verify(signed(), { region: ['eu-west-1', 'us-east-1'], service: 'sts' })).toMatchObject({
      ok: true,
    });
  });
});

describe('malformed authentication', () => {
  const good = authorizationOf(signed());
  const [, credential, signedHeaders, signature] = good.match(
    /^AWS4-HMAC-SHA256 (Credential=[^,]+), (SignedHeaders=[^,]+), (Signature=\w+)$/,
  )!;

  test('no authentication at all gives MissingAuthenticationToken', () => {
    expect(verify({ ...base, headers: { Host: 'sts.amazonaws.com' } })).toEqual({
      ok: false,
      code: 'MissingAuthenticationToken',
      message: 'Request is missing Authentication Token',
      status: 403,
    });
  });

  test.each([
    ['empty', ''],
    ['algorithm only', 'AWS4-HMAC-SHA256'],
    ['SigV2', 'AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg='],
    ['another algorithm', good.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512')],
    ['SigV4a', good.replace('AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256')],
    ['no Signature', `AWS4-HMAC-SHA256 ${credential}, ${signedHeaders}`],
    ['no Credential', `AWS4-HMAC-SHA256 ${signedHeaders}, ${signature}`],
    ['no SignedHeaders', `AWS4-HMAC-SHA256 ${credential}, ${signature}`],
    ['repeated component', `${good}, ${signature}`],
    ['unknown component', `${good}, Extra=1`],
    ['component without =', `AWS4-HMAC-SHA256 ${credential}, ${signedHeaders}, Signature`],
    ['short credential', good.replace('/us-east-1/sts/aws4_request', '/us-east-1/aws4_request')],
    ['empty key id', good.replace('Credential=AKIDEXAMPLE/', 'Credential=/')],
    ['bad scope date', good.replace('/20150830/', '/2015-08-30/')],
    ['bad region', good.replace('/us-east-1/', '/us east 1/')],
    ['short signature', good.slice(0, -1)],
    [
      'upper-case signature',
      good.replace(/Signature=(\w+)/, (_m, s: string) => `Signature=${s.toUpperCase()}`),
    ],
    ['unsorted SignedHeaders', good.replace('content-type;host;x-amz-date', 'host;content-type;x-amz-date')],
    ['upper-case SignedHeaders', good.replace('content-type;host', 'Content-Type;host')],
    ['empty SignedHeaders entry', good.replace('content-type;host', 'content-type;;host')],
  ])('%s gives IncompleteSignature', (_what, authorization) => {
    expect(verify(withAuthorization(signed(), authorization))).toMatchObject({
      ok: false,
      code: 'IncompleteSignature',
      status: 400,
    });
  });

  test('a wrong scope terminator gives SignatureDoesNotMatch', () => {
    expect(verify(withAuthorization(signed(), good.replace('aws4_request', 'aws5_request')))).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });

  test('two Authorization headers are refused', () => {
    const r = signed();
    expect(verify({ ...r, headers: { ...r.headers, authorization: [good, good] } })).toMatchObject({
      code: 'IncompleteSignature',
    });
  });

  test('a lookup that throws gives InternalFailure, not an exception', () => {
    const throwing = () => {
      throw new Error('boom');
    };
    expect(verifySigV4(signed(), throwing, { now: SIGNED_AT })).toMatchObject({
      ok: false,
      code: 'InternalFailure',
      status: 500,
    });
  });
});

describe('signing-key cache', () => {
  test('is bounded and is used', () => {
    const cache = createSigningKeyCache(2);
    for (const region of ['us-east-1', 'eu-west-1', 'ap-south-1']) {
      const r = signed({ region });
      expect(verify(r, { keyCache: cache })).toMatchObject({ ok: true, region });
    }
    expect(cache.size).toBe(2);
    const key = cache.get(SECRET, '20150830', 'ap-south-1', 'sts');
    expect(cache.get(SECRET, '20150830', 'ap-south-1', 'sts')).toBe(key);
  });
});
