// Requests signed by the real AWS SDK v3 signer (@smithy/signature-v4) must verify,
// header-signed and presigned, with session tokens, for STS-style and S3-style calls.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, test } from 'vitest';
import { type SigV4Request, verifySigV4 } from '../../src/credentials/sigv4.ts';
import { type Query, type SdkRequest, wireQuery } from './sdk-sign.ts';

const credentials = {
  accessKeyId: 'ASIAGATEHOUSE0000001',
  secretAccessKey: 'gh/2Vt0pD9c8K1+example+secret+key+0000000',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//gatehouse+session+token==',
};
const NOW = new Date('2026-03-14T09:26:53Z');

const lookup = (id: string) =>
  id === credentials.accessKeyId
    ? { secretAccessKey: credentials.secretAccessKey, securityToken: credentials.sessionToken, user: 'alice' }
    : undefined;

function sdk(service: string, options: { uriEscapePath?: boolean; applyChecksum?: boolean } = {}) {
  return new SignatureV4({ credentials, region: 'eu-west-1', service, sha256: Sha256, ...options });
}

async function sdkSign(signer: SignatureV4, request: SdkRequest): Promise<SigV4Request> {
  const signed = await signer.sign(
    { protocol: 'https:', hostname: request.headers['host']!, query: {}, ...request },
    { signingDate: NOW },
  );
  return {
    method: signed.method,
    path: signed.path,
    query: wireQuery(signed.query as Query),
    headers: signed.headers,
    body: request.body ?? '',
  };
}

async function sdkPresign(
  signer: SignatureV4,
  request: SdkRequest,
  expiresIn: number,
): Promise<SigV4Request> {
  const signed = await signer.presign(
    { protocol: 'https:', hostname: request.headers['host']!, query: {}, ...request },
    { signingDate: NOW, expiresIn },
  );
  return {
    method: signed.method,
    path: signed.path,
    query: wireQuery(signed.query as Query),
    headers: signed.headers,
    body: request.body ?? '',
  };
}

const getCallerIdentity: SdkRequest = {
  method: 'POST',
  path: '/',
  headers: {
    host: 'sts.eu-west-1.amazonaws.com',
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
  },
  body: 'Action=GetCallerIdentity&Version=2011-06-15',
};

describe('requests signed by @smithy/signature-v4', () => {
  test('STS GetCallerIdentity POST with a session token', async () => {
    const request = await sdkSign(sdk('sts'), getCallerIdentity);
    const result = verifySigV4(request, lookup, { now: NOW, service: 'sts', region: 'eu-west-1' });
    expect(result).toMatchObject({
      ok: true,
      accessKeyId: credentials.accessKeyId,
      region: 'eu-west-1',
      service: 'sts',
      securityToken: credentials.sessionToken,
      presigned: false,
      payloadChecked: true,
      credential: { user: 'alice' },
    });
    if (result.ok) expect(result.signedHeaders).toContain('x-amz-security-token');
  });

  test('the same request fails once its body, a header, the token or the clock is off', async () => {
    const request = await sdkSign(sdk('sts'), getCallerIdentity);
    const verify = (r: SigV4Request, now = NOW) => verifySigV4(r, lookup, { now, service: 'sts' });
    expect(verify({ ...request, body: 'Action=GetCallerIdentity&Version=2011-06-16' })).toMatchObject({
      code: 'XAmzContentSHA256Mismatch',
    });
    expect(
      verify({ ...request, headers: { ...request.headers, 'content-type': 'text/plain' } }),
    ).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
    expect(
      verify({ ...request, headers: { ...request.headers, 'x-amz-security-token': 'other' } }),
    ).toMatchObject({
      code: 'InvalidClientTokenId',
    });
    expect(verify(request, new Date(NOW.getTime() + 16 * 60_000))).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });

  test('without x-amz-content-sha256 the body is hashed by the verifier', async () => {
    const request = await sdkSign(sdk('sts', { applyChecksum: false }), getCallerIdentity);
    expect(Object.keys(request.headers)).not.toContain('x-amz-content-sha256');
    expect(verifySigV4(request, lookup, { now: NOW })).toMatchObject({ ok: true, payloadChecked: true });
    expect(verifySigV4({ ...request, body: 'Action=GetCallerIdentity' }, lookup, { now: NOW })).toMatchObject(
      {
        code: 'SignatureDoesNotMatch',
      },
    );
  });

  test('presigned STS GetCallerIdentity, as EKS-style tokens are made', async () => {
    const request = await sdkPresign(
      sdk('sts'),
      {
        method: 'GET',
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: 'sts.eu-west-1.amazonaws.com', 'x-k8s-aws-id': 'cluster-1' },
      },
      60,
    );
    expect(request.query).toContain('X-Amz-Security-Token=');
    const result = verifySigV4(request, lookup, { now: new Date(NOW.getTime() + 30_000) });
    expect(result).toMatchObject({ ok: true, presigned: true, securityToken: credentials.sessionToken });
    if (result.ok) expect(result.signedHeaders).toEqual(['host', 'x-k8s-aws-id']);
    expect(verifySigV4(request, lookup, { now: new Date(NOW.getTime() + 61_000) })).toMatchObject({
      ok: false,
      code: 'RequestExpired',
    });
  });

  test('non-S3 paths are normalised and double-encoded, queries sorted and re-encoded', async () => {
    const request = await sdkSign(sdk('execute-api'), {
      method: 'GET',
      path: '/stage/a%20b/./c/../%E2%9C%93/',
      query: { b: ['2', '1'], 'a key': "v&=x!'()*", empty: '', ü: 'ß' },
      headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'x-custom': '  two   spaces  ' },
    });
    expect(verifySigV4(request, lookup, { now: NOW, service: 'execute-api' })).toMatchObject({ ok: true });
  });

  test('S3 GET: path signed as sent, x-amz-content-sha256 required and signed', async () => {
    const request = await sdkSign(sdk('s3', { uriEscapePath: false }), {
      method: 'GET',
      path: '/bucket/dir/some%20key%2Bplus/%E2%9C%93.txt',
      query: { versionId: 'v1' },
      headers: { host: 's3.eu-west-1.amazonaws.com', range: 'bytes=0-9' },
    });
    expect(verifySigV4(request, lookup, { now: NOW, service: 's3' })).toMatchObject({
      ok: true,
      service: 's3',
    });
    // Under the non-S3 rules the same request does not verify: the path would be encoded twice.
    expect(verifySigV4(request, lookup, { now: NOW, s3: false })).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });

  test('S3 PUT with a body and with UNSIGNED-PAYLOAD', async () => {
    const put: SdkRequest = {
      method: 'PUT',
      path: '/bucket/object.bin',
      headers: { host: 's3.eu-west-1.amazonaws.com', 'content-length': '11' },
      body: 'hello world',
    };
    const signed = await sdkSign(sdk('s3', { uriEscapePath: false }), put);
    expect(verifySigV4(signed, lookup, { now: NOW })).toMatchObject({ ok: true, payloadChecked: true });

    const unsigned = await sdkSign(sdk('s3', { uriEscapePath: false }), {
      ...put,
      headers: { ...put.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    expect(verifySigV4(unsigned, lookup, { now: NOW })).toMatchObject({ ok: false, code: 'AccessDenied' });
    expect(verifySigV4(unsigned, lookup, { now: NOW, allowUnsignedPayload: true })).toMatchObject({
      ok: true,
      payloadHash: 'UNSIGNED-PAYLOAD',
      payloadChecked: false,
    });
  });

  test('S3 presigned GET', async () => {
    const request = await sdkPresign(
      sdk('s3', { uriEscapePath: false }),
      // What @aws-sdk/s3-request-presigner does before presigning; the signer hoists it into the query.
      {
        method: 'GET',
        path: '/bucket/report%202026.pdf',
        headers: { host: 's3.eu-west-1.amazonaws.com', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      },
      3600,
    );
    expect(verifySigV4(request, lookup, { now: NOW })).toMatchObject({
      ok: true,
      presigned: true,
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    expect(verifySigV4(request, lookup, { now: new Date(NOW.getTime() + 3601_000) })).toMatchObject({
      ok: false,
      code: 'AccessDenied',
      message: expect.stringContaining('Request has expired'),
    });
  });

  test('an asynchronous lookup gives a promise of the same result', async () => {
    const request = await sdkSign(sdk('sts'), getCallerIdentity);
    const pending = verifySigV4(request, async (id) => lookup(id), { now: NOW });
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).resolves.toMatchObject({ ok: true, credential: { user: 'alice' } });
    await expect(
      verifySigV4(request, async () => Promise.reject(new Error('database down')), { now: NOW }),
    ).resolves.toMatchObject({ ok: false, code: 'InternalFailure', status: 500 });
  });
});
