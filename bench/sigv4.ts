// SigV4 verifications per second, in process, one core: `node bench/sigv4.ts`.
// The signing-key cache is warm, as it is in service (keys last a day).
import {
  createSigningKeyCache,
  type SigV4Request,
  type SigV4VerifyOptions,
  signSigV4,
  verifySigV4,
} from '../src/credentials/sigv4.ts';

const credentials = {
  accessKeyId: 'ASIAGATEHOUSE0000001',
  secretAccessKey: 'gh/2Vt0pD9c8K1+example+secret+key+0000000',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//gatehouse+session+token+of+a+realistic+length+0123456789abcdef==',
};
const now = new Date();
const record = { secretAccessKey: credentials.secretAccessKey, securityToken: credentials.sessionToken };
const lookup = (id: string) => (id === credentials.accessKeyId ? record : undefined);

function signed(
  request: Omit<SigV4Request, 'query'> & { query?: string },
  service: string,
  presign?: number,
): SigV4Request {
  const out = signSigV4(request, {
    credentials,
    region: 'eu-west-1',
    service,
    date: now,
    ...(presign ? { presign: { expiresIn: presign } } : {}),
  });
  return { ...request, query: out.query, headers: out.headers };
}

const stsBody = 'Action=GetCallerIdentity&Version=2011-06-15';
const sts = signed(
  {
    method: 'POST',
    path: '/',
    headers: {
      host: 'sts.eu-west-1.amazonaws.com',
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'content-length': String(stsBody.length),
      'user-agent': 'aws-sdk-js/3.700.0 ua/2.1 os/linux lang/js md/nodejs#24',
      'amz-sdk-invocation-id': '3b2f5c1e-8f4a-4c55-9d1e-0a1b2c3d4e5f',
      'amz-sdk-request': 'attempt=1; max=3',
    },
    body: stsBody,
  },
  'sts',
);

const s3 = signed(
  {
    method: 'GET',
    path: '/reports/2026/03/q1%20summary%2Bfinal.pdf',
    query: 'versionId=3HL4kqtJlcpXroDTDmJ%2Brmsq&x-id=GetObject',
    headers: {
      host: 'gatehouse-bucket.s3.eu-west-1.amazonaws.com',
      range: 'bytes=0-1048575',
      'user-agent': 'aws-sdk-js/3.700.0 ua/2.1 os/linux lang/js md/nodejs#24',
      'amz-sdk-invocation-id': '3b2f5c1e-8f4a-4c55-9d1e-0a1b2c3d4e5f',
    },
    body: '',
  },
  's3',
);

const presigned = signed(
  {
    method: 'GET',
    path: '/',
    query: 'Action=GetCallerIdentity&Version=2011-06-15',
    headers: { host: 'sts.amazonaws.com' },
    body: '',
  },
  'sts',
  60,
);

interface Case {
  name: string;
  run: () => boolean;
}

const warm = createSigningKeyCache();
const options = (extra: SigV4VerifyOptions = {}): SigV4VerifyOptions => ({ now, keyCache: warm, ...extra });

const cases: Case[] = [
  {
    name: 'STS GetCallerIdentity POST (header auth, token, body hashed)',
    run: () => verifySigV4(sts, lookup, options()).ok,
  },
  {
    name: 'S3-style GET (header auth, token, x-amz-content-sha256)',
    run: () => verifySigV4(s3, lookup, options()).ok,
  },
  { name: 'presigned STS GET (query auth, token)', run: () => verifySigV4(presigned, lookup, options()).ok },
  {
    name: 'STS POST, signing key not cached (for comparison)',
    run: () => verifySigV4(sts, lookup, { now, keyCache: createSigningKeyCache(1) }).ok,
  },
];

function measure(run: () => boolean, seconds: number): number {
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let t = start;
  while (t < end) {
    for (let i = 0; i < 1000; i++) if (!run()) throw new Error('verification failed in the benchmark');
    n += 1000;
    t = process.hrtime.bigint();
  }
  return n / (Number(t - start) / 1e9);
}

const rows: string[][] = [];
for (const c of cases) {
  measure(c.run, 0.3); // warm up the JIT and the key cache
  const rounds = [measure(c.run, 1), measure(c.run, 1), measure(c.run, 1)].sort((a, b) => a - b);
  const median = rounds[1]!;
  rows.push([c.name, Math.round(median).toLocaleString('en-US'), (1e6 / median).toFixed(2)]);
}

const header = ['case', 'verifications/s', 'µs each'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(`SigV4 verification, one core, Node ${process.versions.node} (median of 3 one-second rounds)`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
