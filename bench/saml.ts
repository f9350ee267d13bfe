// SAML response signing benchmark: `node bench/saml.ts`.
// Signed SAML responses per second on one core (build the assertion, sign assertion and response
// with RSA-2048 / SHA-256, base64), next to Node's raw RSA-2048 signing rate in the same run: two
// RSA signatures per response bound it. Also an encrypted-assertion variant (samlify), and the
// time one xmllint-wasm schema validation of an AuthnRequest takes.

import { generateKeyPairSync, sign } from 'node:crypto';
import { selfSignedCertificate } from '../providers/saml/certificates.ts';
import { idpEndpoints } from '../providers/saml/entities.ts';
import { buildSamlResponse } from '../providers/saml/response.ts';
import { validateSamlXml } from '../providers/saml/schema.ts';
import { samlSettingsSchema } from '../src/apps/saml-settings.ts';
import type { KeyRing } from '../src/keys/keyring.ts';

const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const key = { kid: 'bench', alg: 'RS256' as const, ...pair, activatesAt: new Date(0), retiresAt: null };
const keys = { signingKey: () => key, verificationKeys: () => [key] } as unknown as KeyRing;
const endpoints = idpEndpoints('https://id.example.com');
const sp = generateKeyPairSync('rsa', { modulusLength: 2048 });
const spCert = selfSignedCertificate(
  { kid: 'sp', ...sp, activatesAt: new Date(0) },
  'https://sp.example.com',
).toString('base64');

const grant = {
  nameId: { value: 'alice@example.com', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
  attributes: { email: ['alice@example.com'], groups: ['platform', 'sre', 'engineering'] },
  authTime: new Date(),
  mfa: true,
  sessionIndex: '_0123456789abcdef',
  sessionNotOnOrAfter: new Date(Date.now() + 8 * 3600_000),
};
const to = { acsUrl: 'https://sp.example.com/acs', inResponseTo: '_request' };

async function rate(label: string, seconds: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn(); // warm up
  let n = 0;
  const start = performance.now();
  const until = start + seconds * 1000;
  while (performance.now() < until) {
    await fn();
    n++;
  }
  const perSecond = (n * 1000) / (performance.now() - start);
  console.log(`${label.padEnd(52)} ${perSecond.toFixed(0).padStart(7)} /s`);
  return perSecond;
}

console.log(`SAML (node ${process.version}, one core)`);
const data = Buffer.alloc(1024, 1);
const raw = await rate('raw RSA-2048 SHA-256 signatures (node:crypto)', 3, () =>
  sign('sha256', data, pair.privateKey),
);
for (const [label, settings] of [
  ['signed responses (response + assertion signed)', {}],
  ['signed responses (assertion only)', { signResponse: false }],
  ['signed + encrypted assertion responses', { encryptAssertion: true, encryptionCertificate: spCert }],
] as const) {
  const app = {
    id: 'bench',
    saml: samlSettingsSchema.parse({
      entityId: 'https://sp.example.com',
      acs: [{ url: to.acsUrl }],
      ...settings,
    }),
  };
  const perSecond = await rate(label, 3, () => buildSamlResponse(keys, endpoints, app, to, grant));
  console.log(`${''.padEnd(52)} ratio to raw signing ${(perSecond / raw).toFixed(2)}`);
}
const request = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" AssertionConsumerServiceURL="https://sp.example.com/acs"><saml:Issuer>https://sp.example.com</saml:Issuer></samlp:AuthnRequest>`;
await rate('AuthnRequest schema validations (xmllint-wasm)', 3, () => validateSamlXml(request));
