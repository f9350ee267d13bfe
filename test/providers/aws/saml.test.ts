// AssumeRoleWithSAML with responses of Gatehouse's own SAML IdP (AWS template): the person signs in,
// launches the AWS application from the portal (IdP-initiated SSO), and the SAMLResponse Gatehouse
// posts goes to STS through @aws-sdk/client-sts; the credentials then sign GetCallerIdentity.
// Negative cases build responses with the same domain function the IdP uses.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import {
  AssumeRoleWithSAMLCommand,
  ExpiredTokenException,
  GetCallerIdentityCommand,
  InvalidIdentityTokenException,
  MalformedPolicyDocumentException,
  STSClient,
} from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { idpEndpoints } from '../../../providers/saml/entities.ts';
import { buildSamlResponse } from '../../../providers/saml/response.ts';
import { effectiveAccess } from '../../../src/access/assignments.ts';
import { type Application, createApplication } from '../../../src/apps/apps.ts';
import { assignApplication } from '../../../src/apps/assignments.ts';
import { samlAttributes } from '../../../src/apps/attributes.ts';
import { nameIdFor } from '../../../src/apps/name-id.ts';
import { type SamlSettings, samlSettingsSchema } from '../../../src/apps/saml-settings.ts';
import { disableUser, getUser } from '../../../src/directory/users.ts';
import type { KeyRing } from '../../../src/keys/keyring.ts';
import { deriveKey } from '../../../src/keys/seal.ts';
import { formFields } from '../../saml/support.ts';
import { backends } from '../../support/backends.ts';
import { signIn } from '../../support/signin.ts';
import { type OidcServer, startOidcServer } from '../oidc/support.ts';
import { PASSWORD, seedAws } from './support.ts';

const region = 'us-east-1';
const ROLE = 'arn:aws:iam::111122223333:role/Developer';
const PRINCIPAL = 'arn:aws:iam::111122223333:saml-provider/Gatehouse';
const ARN = 'arn:aws:sts::111122223333:assumed-role/Developer/alice';
const AWS_SP = {
  entityId: 'urn:amazon:webservices',
  acs: [{ url: 'https://signin.aws.amazon.com/saml' }],
  template: 'aws' as const,
  aws: { samlProvider: 'Gatehouse' },
};
const admin = { actor: 'test' };

let server: OidcServer;
let seeded: Awaited<ReturnType<typeof seedAws>>;
let app: Application;

describe.each(backends)('AssumeRoleWithSAML ($name)', (backend) => {
  beforeAll(async () => {
    server = await startOidcServer(backend.name);
    seeded = await seedAws(server.runtime.db);
    app = await server.runtime.db.transaction(async (tx) => {
      const created = await createApplication(tx, admin, { name: 'aws', type: 'saml', saml: AWS_SP });
      await assignApplication(tx, admin, created.id, { userId: seeded.alice.id });
      return created;
    });
  }, 60_000);
  afterAll(() => server?.stop());

  const sts = () =>
    new STSClient({
      region,
      endpoint: `${server.url}/aws/sts`,
      credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    });
  const assume = (
    response: string,
    extra: { RoleArn?: string; PrincipalArn?: string; Policy?: string } = {},
  ) =>
    sts().send(
      new AssumeRoleWithSAMLCommand({
        RoleArn: ROLE,
        PrincipalArn: PRINCIPAL,
        SAMLAssertion: response,
        ...extra,
      }),
    );
  const b64 = (xml: string) => Buffer.from(xml).toString('base64');
  const xmlOf = (response: string) => Buffer.from(response, 'base64').toString('utf8');

  /** A response for alice as the IdP builds it, with what a case changes. */
  async function response(
    options: { settings?: Partial<SamlSettings>; keys?: KeyRing; now?: Date; userId?: string } = {},
  ): Promise<string> {
    const { runtime } = server;
    const settings = { ...samlSettingsSchema.parse(AWS_SP), ...options.settings };
    const user = await getUser(runtime.db, options.userId ?? seeded.alice.id);
    const roles = async (id: string) =>
      (await effectiveAccess(runtime.db, id)).map((a) => ({
        accountId: a.accountId,
        permissionSet: a.permissionSetName,
      }));
    const now = options.now ?? new Date();
    const built = await buildSamlResponse(
      options.keys ?? runtime.keys,
      idpEndpoints(runtime.config.url),
      { id: app.id, saml: settings },
      { acsUrl: settings.acs[0]!.url, inResponseTo: undefined },
      {
        nameId: nameIdFor(settings, app.id, user, deriveKey(runtime.masterKey, 'saml-persistent-nameid')),
        attributes: await samlAttributes({ id: app.id, saml: settings }, { user, groups: [] }, roles),
        authTime: now,
        mfa: false,
        sessionIndex: '_s',
        sessionNotOnOrAfter: new Date(now.getTime() + 3_600_000),
      },
      now,
    );
    return built.base64;
  }

  describe('exchange', () => {
    test('a response from the portal launch becomes credentials that GetCallerIdentity accepts', async () => {
      const { jar } = await signIn({ baseUrl: server.url, userName: 'alice', password: PASSWORD });
      const page = await jar.fetch(`${server.url}/saml/apps/${app.id}/start`);
      expect(page.status).toBe(200);
      const { action, fields } = formFields(await page.text());
      expect(action).toBe('https://signin.aws.amazon.com/saml');
      const xml = xmlOf(fields['SAMLResponse']!);
      expect(xml).toContain(`${ROLE},${PRINCIPAL}`);

      const result = await assume(fields['SAMLResponse']!);
      expect(result).toMatchObject({
        AssumedRoleUser: { Arn: ARN, AssumedRoleId: `${seeded.developer.id}:alice` },
        PackedPolicySize: 0,
        SubjectType: 'persistent',
        Issuer: `${server.runtime.config.url}/saml/metadata`,
        Audience: 'https://signin.aws.amazon.com/saml',
      });
      expect(result.Subject).toMatch(/^[\w-]{43}$/);
      expect(result.NameQualifier).toMatch(/^[A-Za-z0-9+/]{27}=$/);
      const credentials = result.Credentials!;
      const caller = new STSClient({
        region,
        endpoint: `${server.url}/aws/sts`,
        credentials: {
          accessKeyId: credentials.AccessKeyId!,
          secretAccessKey: credentials.SecretAccessKey!,
          sessionToken: credentials.SessionToken!,
        },
      });
      expect((await caller.send(new GetCallerIdentityCommand({}))).Arn).toBe(ARN);
      // AWS's rule, kept: the same assertion may be exchanged again until its NotOnOrAfter.
      expect((await assume(fields['SAMLResponse']!)).AssumedRoleUser?.Arn).toBe(ARN);
    });

    test('signed assertion only (response unsigned) is accepted too', async () => {
      const only = await response({ settings: { signResponse: false, signAssertion: true } });
      expect((await assume(only)).AssumedRoleUser?.Arn).toBe(ARN);
    });

    test('tampered, wrapped, foreign-signed, malformed: InvalidIdentityToken', async () => {
      const good = xmlOf(await response());
      const notSigned = {
        name: 'InvalidIdentityTokenException',
        message: expect.stringContaining('not signed by'),
      };
      await expect(assume(b64(good.replace('>alice<', '>bob<')))).rejects.toMatchObject(notSigned);

      // Signature wrapping: the signed assertion tucked into Extensions, a forged one in its place.
      const assertionOnly = xmlOf(await response({ settings: { signResponse: false } }));
      const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(assertionOnly)![0];
      const forged = signed
        .replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '')
        .replace(/ID="[^"]+"/, `ID="_${randomUUID()}"`)
        .replace(/role\/Developer/g, 'role/Admin');
      const wrapped = assertionOnly.replace(
        signed,
        `<samlp:Extensions>${signed}</samlp:Extensions>${forged}`,
      );
      await expect(
        assume(b64(wrapped), { RoleArn: 'arn:aws:iam::111122223333:role/Admin' }),
      ).rejects.toBeInstanceOf(InvalidIdentityTokenException);
      // The forged assertion alongside the signed one (two assertions).
      await expect(
        assume(b64(assertionOnly.replace(signed, `${signed}${forged}`)), {
          RoleArn: 'arn:aws:iam::111122223333:role/Admin',
        }),
      ).rejects.toMatchObject({ message: expect.stringContaining('exactly one assertion') });
      // A signature moved onto the forged assertion does not verify it.
      const moved = signed.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '');
      const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
      const movedForged = forged.replace('</saml:Issuer>', `</saml:Issuer>${signature}`);
      expect(moved).not.toContain('ds:Signature');
      await expect(
        assume(b64(assertionOnly.replace(signed, movedForged)), {
          RoleArn: 'arn:aws:iam::111122223333:role/Admin',
        }),
      ).rejects.toMatchObject(notSigned);

      // Signed by a key that is not Gatehouse's.
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const foreignKey = {
        kid: `foreign-${randomUUID()}`,
        alg: 'RS256',
        ...pair,
        activatesAt: new Date(),
        retiresAt: null,
      };
      const foreign = {
        signingKey: () => foreignKey,
        verificationKeys: () => [foreignKey],
      } as unknown as KeyRing;
      await expect(assume(await response({ keys: foreign }))).rejects.toBeInstanceOf(
        InvalidIdentityTokenException,
      );

      await expect(assume('not base64!')).rejects.toBeInstanceOf(InvalidIdentityTokenException);
      await expect(assume(b64('<!DOCTYPE x [<!ENTITY a "b">]><x/>'))).rejects.toBeInstanceOf(
        InvalidIdentityTokenException,
      );
    });

    test('wrong audience: InvalidIdentityToken', async () => {
      const other = await response({ settings: { entityId: 'urn:example:not-aws' } });
      await expect(assume(other)).rejects.toMatchObject({
        name: 'InvalidIdentityTokenException',
        message: expect.stringContaining('not for an AWS application'),
      });
    });

    test('expired: ExpiredTokenException', async () => {
      const old = await response({ now: new Date(Date.now() - 20 * 60_000) });
      await expect(assume(old)).rejects.toBeInstanceOf(ExpiredTokenException);
    });

    test('a role pair not in the Role attribute: AccessDenied', async () => {
      const good = await response();
      await expect(assume(good, { RoleArn: 'arn:aws:iam::111122223333:role/Admin' })).rejects.toMatchObject({
        name: 'AccessDenied',
      });
      await expect(
        assume(good, { PrincipalArn: 'arn:aws:iam::111122223333:saml-provider/Other' }),
      ).rejects.toMatchObject({ name: 'AccessDenied' });
    });

    test('session policies are refused: MalformedPolicyDocument', async () => {
      await expect(assume(await response(), { Policy: '{"Version":"2012-10-17"}' })).rejects.toBeInstanceOf(
        MalformedPolicyDocumentException,
      );
    });

    test('a disabled user: AccessDenied', async () => {
      const good = await response();
      await server.runtime.db.transaction((tx) => disableUser(tx, admin, seeded.alice.id));
      await expect(assume(good)).rejects.toMatchObject({ name: 'AccessDenied' });
    });
  });
});
