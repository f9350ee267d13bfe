// The schema validator on its own: verdicts per message under concurrency, and failing closed.
import { describe, expect, test } from 'vitest';
import { validateSamlXml, validatorWorker } from '../../providers/saml/schema.ts';

const request = (attributes: string) =>
  `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" ${attributes} IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>https://sp.example.com</saml:Issuer></samlp:AuthnRequest>`;
const valid = request('Version="2.0"');
const noVersion = request('');
const badVersion = request('Version="2.0" Bogus="1"');

describe('SAML schema validation (xmllint-wasm worker)', () => {
  test('a valid message passes; a schema violation and a broken document are refused with their codes', async () => {
    await expect(validateSamlXml(valid)).resolves.toBeUndefined();
    await expect(validateSamlXml(noVersion)).rejects.toMatchObject({
      code: 'saml.schema_invalid',
      message: expect.stringContaining('Version'),
    });
    await expect(validateSamlXml(badVersion)).rejects.toMatchObject({ code: 'saml.schema_invalid' });
    await expect(validateSamlXml('<samlp:AuthnRequest')).rejects.toMatchObject({ code: 'saml.malformed' });
    await expect(validateSamlXml(`<!DOCTYPE x [<!ENTITY a "b">]>${valid}`)).rejects.toMatchObject({
      code: 'saml.dtd_refused',
    });
  });

  test('many at once: each message gets its own verdict', async () => {
    const messages = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? noVersion : valid));
    const verdicts = await Promise.all(
      messages.map((xml) =>
        validateSamlXml(xml).then(
          () => 'valid',
          (error: { code: string }) => error.code,
        ),
      ),
    );
    expect(verdicts).toEqual(messages.map((xml) => (xml === valid ? 'valid' : 'saml.schema_invalid')));
  });

  test('a run that overruns is refused (fail closed), and the validator starts afresh', async () => {
    const impatient = validatorWorker(1);
    await expect(impatient(valid)).rejects.toThrow(/timed out/);
    const patient = validatorWorker();
    await expect(patient(valid)).resolves.toMatchObject({ exitCode: 0 });
  });
});
