import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/server.ts';

const ID_ATTRIBUTES = [
  'urn:oasis:names:tc:SAML:2.0:protocol:Response',
  'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
  'urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest',
  'urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse',
];

/**
 * Whether `xmlsec1 --verify` (Debian's xmlsec1, an independent implementation) accepts a signature
 * in a SAML message with the given PEM certificate: the first one, or the one that is a child of
 * the element named `signatureOf`.
 */
export function xmlsecVerifies(certificatePem: string, xml: string, signatureOf?: string): boolean {
  const dir = tempDir('gh-xmlsec-');
  writeFileSync(join(dir, 'idp.pem'), certificatePem);
  writeFileSync(join(dir, 'message.xml'), xml);
  try {
    execFileSync(
      'xmlsec1',
      [
        '--verify',
        '--pubkey-cert-pem',
        join(dir, 'idp.pem'),
        '--enabled-key-data',
        'key-name,rsa',
        ...ID_ATTRIBUTES.flatMap((name) => ['--id-attr:ID', name]),
        ...(signatureOf
          ? ['--node-xpath', `//*[local-name()='${signatureOf}']/*[local-name()='Signature']`]
          : []),
        join(dir, 'message.xml'),
      ],
      { stdio: 'pipe' },
    );
    return true;
  } catch {
    return false;
  }
}
