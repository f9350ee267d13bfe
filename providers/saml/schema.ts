import { readFileSync } from 'node:fs';
import { setSchemaValidator } from 'samlify';
import { validateXML, type XMLFileInfo } from 'xmllint-wasm';
import { GatehouseError } from '../../src/errors.ts';
import { screenXml } from './xml-screen.ts';

const folder = new URL('./schemas/', import.meta.url);
const file = (fileName: string): XMLFileInfo => ({
  fileName,
  contents: readFileSync(new URL(fileName, folder), 'utf8'),
});
const PROTOCOL = file('saml-schema-protocol-2.0.xsd');
const PRELOAD = [
  file('saml-schema-assertion-2.0.xsd'),
  file('xmldsig-core-schema.xsd'),
  file('xenc-schema.xsd'),
  file('XMLSchema.dtd'),
  file('datatypes.dtd'),
];

const invalid = (code: string, message: string) => new GatehouseError('invalid', `saml.${code}`, message);

/**
 * Validates a SAML protocol message against the OASIS schemas with libxml2's xmllint compiled to
 * WebAssembly (no native build, no Java). The validator runs in a worker thread with a memory cap.
 */
export async function validateSamlXml(xml: string): Promise<void> {
  screenXml(xml);
  let result: Awaited<ReturnType<typeof validateXML>>;
  try {
    result = await validateXML({
      xml: [{ fileName: 'message.xml', contents: xml }],
      schema: [PROTOCOL],
      preload: PRELOAD,
      // --nonet: never fetch anything; no --noent: entities are never expanded.
      modifyArguments: (args) => ['--nonet', ...args],
    });
  } catch {
    throw invalid('malformed', 'not a well-formed XML document');
  }
  if (!result.valid) {
    const first = result.errors[0]?.message ?? 'does not match the SAML schema';
    throw invalid(
      'schema_invalid',
      `SAML message does not match the SAML 2.0 schema: ${first.slice(0, 200)}`,
    );
  }
}

let installed = false;
/** samlify validates every message it parses with this (it refuses to parse without a validator). */
export function installSchemaValidator(): void {
  if (installed) return;
  setSchemaValidator({ validate: (xml: string) => validateSamlXml(xml).then(() => 'ok') });
  installed = true;
}
