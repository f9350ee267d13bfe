// `connectors:` in gatehouse.yaml: each entry validated by its kind's own schema, errors naming the key.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { expect, test } from 'vitest';
import { buildConnector } from '../../connectors/registry.ts';
import { loadConfig } from '../../src/config/load.ts';

const entry = `  - id: corp
    type: ldap
    urls: [ldaps://dc1.corp.example:636, ldaps://dc2.corp.example]
    bindDN: CN=gatehouse,OU=Service,DC=corp,DC=example
    bindPasswordFile: ./ad-bind
    userSearch: { baseDN: "OU=People,DC=corp,DC=example", username: [sAMAccountName] }
    sync: { incremental: 30s, full: 2h, maxDeprovisionPercent: 5 }
`;

function load(yaml: string, files: Record<string, string> = { 'ad-bind': 'Bind-Pa55word\n' }) {
  const cwd = mkdtempSync(join(tmpdir(), 'gh-config-'));
  writeFileSync(join(cwd, 'gatehouse.yaml'), yaml);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
  return { cwd, config: () => loadConfig({ env: {}, cwd }) };
}

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
};

test('no connectors by default', () => {
  expect(load('port: 1\n').config().connectors).toEqual([]);
});

test('a connector entry is validated by its own schema; files resolve against the working directory', async () => {
  const { cwd, config } = load(`connectors:\n${entry}`);
  const [c] = config().connectors;
  expect(c).toMatchObject({
    id: 'corp',
    type: 'ldap',
    bindPasswordFile: join(cwd, 'ad-bind'),
    sync: { incremental: 30_000, full: 7_200_000, maxDeprovisionPercent: 5 },
  });
  const connector = buildConnector(config().connectors[0]!);
  expect(connector.syncPolicy).toEqual({
    incrementalMs: 30_000,
    fullMs: 7_200_000,
    maxDeprovisionPercent: 5,
  });
  await connector.close();
});

test('errors name the key inside the list', () => {
  expect(errorOf(load(`connectors:\n${entry.replace('ldaps://dc2', 'http://dc2')}`).config)).toBe(
    'config: connectors[0].urls[1]: expected ldap://host[:port] or ldaps://host[:port]',
  );
  expect(errorOf(load(`connectors:\n${entry}    colour: blue\n`).config)).toBe(
    'config: unknown key connectors[0].colour',
  );
  expect(errorOf(load(`connectors:\n${entry.replace('type: ldap', 'type: nis')}`).config)).toMatch(
    /^config: connectors\[0\]\.type: /,
  );
  expect(errorOf(load(`connectors:\n${entry}${entry}`).config)).toBe(
    'config: connectors[1].id: duplicate connector id "corp"',
  );
  expect(errorOf(load(`connectors:\n${entry.replace('id: corp', 'id: corp/ad')}`).config)).toMatch(
    /^config: connectors\[0\]\.id: /,
  );
  expect(errorOf(load(`connectors:\n${entry}`, {}).config)).toBe(
    'config: connectors[0].bindPasswordFile: cannot read ./ad-bind: ENOENT',
  );
});

test('an inline bind password is kept as a secret: never printed', () => {
  const { config } = load(
    `connectors:\n${entry.replace('bindPasswordFile: ./ad-bind', 'bindPassword: Hunter2Hunter2')}`,
  );
  const loaded = config();
  expect(JSON.stringify(loaded)).not.toContain('Hunter2Hunter2');
  expect(inspect(loaded, { depth: 10 })).not.toContain('Hunter2Hunter2');
  const bad = load(
    `connectors:\n${entry.replace('bindPasswordFile: ./ad-bind', 'bindPassword: Hunter2Hunter2').replace('ldaps://dc2', 'http://dc2')}`,
  );
  expect(errorOf(bad.config)).not.toContain('Hunter2Hunter2');
});

test('connectors cannot come from the environment', () => {
  const { cwd } = load('port: 1\n');
  expect(errorOf(() => loadConfig({ env: { GATEHOUSE_CONNECTORS: '[]' }, cwd }))).toBe(
    'config: unknown environment variable GATEHOUSE_CONNECTORS',
  );
});
