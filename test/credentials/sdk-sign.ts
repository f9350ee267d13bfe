// Signs requests with the real AWS SDK v3 signer (@smithy/signature-v4) and turns them into what a
// resource service would hand the verifier (the wire path and query, the headers, the body).
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SigV4Request } from '../../src/credentials/sigv4.ts';

export interface SdkCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type Query = Record<string, string | string[] | null>;

function encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** How the SDK puts a query object on the wire: RFC 3986 encoding of names and values. */
export function wireQuery(query: Query = {}): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === null) parts.push(encode(key));
    else for (const v of Array.isArray(value) ? value : [value]) parts.push(`${encode(key)}=${encode(v)}`);
  }
  return parts.join('&');
}

export interface SdkRequest {
  method: string;
  path: string;
  query?: Query;
  headers: Record<string, string>;
  body?: string;
}

export async function sdkSign(
  credentials: SdkCredentials,
  service: string,
  request: SdkRequest,
  options: { region?: string; date?: Date } = {},
): Promise<SigV4Request> {
  const signer = new SignatureV4({
    credentials,
    region: options.region ?? 'eu-west-1',
    service,
    sha256: Sha256,
    uriEscapePath: service !== 's3',
    applyChecksum: service === 's3',
  });
  const signed = await signer.sign(
    { protocol: 'https:', hostname: request.headers['host']!, query: {}, ...request },
    { signingDate: options.date ?? new Date() },
  );
  return {
    method: signed.method,
    path: signed.path,
    query: wireQuery(signed.query as Query),
    headers: signed.headers,
    body: request.body ?? '',
  };
}

/** An S3 GetObject as the SDK sends it. */
export const getObject = (bucket: string, key: string): SdkRequest => ({
  method: 'GET',
  path: `/${key}`,
  query: { 'x-id': 'GetObject' },
  headers: { host: `${bucket}.s3.eu-west-1.amazonaws.com` },
  body: '',
});

/** A DynamoDB Query as the SDK sends it (JSON body). */
export const dynamoQuery = (table: string): SdkRequest => {
  const body = JSON.stringify({ TableName: table, KeyConditionExpression: 'pk = :pk' });
  return {
    method: 'POST',
    path: '/',
    headers: {
      host: 'dynamodb.eu-west-1.amazonaws.com',
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.Query',
    },
    body,
  };
};
