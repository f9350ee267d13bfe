import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { settings } from '../../src/config/settings.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'gh-config-'));

function withYaml(text: string): string {
  const cwd = dir();
  writeFileSync(join(cwd, 'gatehouse.yaml'), text);
  return cwd;
}

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
};

test('defaults describe a local embedded server', () => {
  const config = loadConfig({ env: {}, cwd: dir() });
  expect(config.port).toBe(8080);
  expect(config.url).toBe('http://localhost:8080');
  expect(config.database.url).toBeUndefined();
  expect(config.sessions).toEqual({ idle: 3_600_000, absolute: 28_800_000 });
  expect(config.passwordPolicy.maxAge).toBe(90 * 86_400_000);
  expect(config.dataDir.endsWith('.gatehouse')).toBe(true);
});

test('the YAML file is read and the environment overrides it', () => {
  const cwd = withYaml(
    'url: https://id.example.com/\nport: 9000\nsessions: { idle: 30m }\npasswordPolicy: { maxAge: off }\n',
  );
  const config = loadConfig({ env: { PORT: '9100', GATEHOUSE_SESSIONS_ABSOLUTE: '12h' }, cwd });
  expect(config.url).toBe('https://id.example.com');
  expect(config.port).toBe(9100);
  expect(config.sessions).toEqual({ idle: 1_800_000, absolute: 43_200_000 });
  expect(config.passwordPolicy.maxAge).toBe(0);
});

test('every setting has an environment name that the loader honours', () => {
  expect(new Set(settings.map((s) => s.env)).size).toBe(settings.length);
  const config = loadConfig({
    env: { GATEHOUSE_HTTP_TRUST_PROXY: 'true', GATEHOUSE_MFA_POLICY: 'optional' },
    cwd: dir(),
  });
  expect(config.http.trustProxy).toBe(true);
  expect(config.mfa.policy).toBe('optional');
});

test('an unknown key fails with one line naming it', () => {
  const message = errorOf(() => loadConfig({ env: {}, cwd: withYaml('sessions: { idel: 1h }\n') }));
  expect(message).toBe('config: unknown key sessions.idel');
  expect(errorOf(() => loadConfig({ env: {}, cwd: withYaml('colour: blue\n') }))).toBe(
    'config: unknown key colour',
  );
});

test('a wrong type fails with one line naming the key and its environment name', () => {
  expect(errorOf(() => loadConfig({ env: { PORT: 'eighty' }, cwd: dir() }))).toMatch(
    /^config: port: .*\(env PORT\)$/,
  );
  expect(errorOf(() => loadConfig({ env: {}, cwd: withYaml('sessions: { idle: soon }\n') }))).toMatch(
    /^config: sessions\.idle: expected a duration/,
  );
  expect(errorOf(() => loadConfig({ env: {}, cwd: withYaml('mfa: { policy: sometimes }\n') }))).toMatch(
    /^config: mfa\.policy:/,
  );
  expect(errorOf(() => loadConfig({ env: {}, cwd: withYaml('port: [1]\n') }))).toMatch(/^config: port:/);
});

test('a misspelt GATEHOUSE_ variable is an error, not ignored', () => {
  expect(errorOf(() => loadConfig({ env: { GATEHOUSE_SESSION_IDLE: '1h' }, cwd: dir() }))).toBe(
    'config: unknown environment variable GATEHOUSE_SESSION_IDLE',
  );
});

test('broken YAML names the file and line', () => {
  expect(errorOf(() => loadConfig({ env: {}, cwd: withYaml('port: 1\nport: 2\n') }))).toMatch(
    /gatehouse\.yaml:2: /,
  );
});

test('secrets come from files, and never appear in error messages', () => {
  const cwd = dir();
  writeFileSync(join(cwd, 'db-url'), 'postgres://gh:Sup3rSecretPw@db/gatehouse\n');
  const config = loadConfig({ env: { DATABASE_URL_FILE: join(cwd, 'db-url') }, cwd });
  expect(config.database.url?.reveal()).toBe('postgres://gh:Sup3rSecretPw@db/gatehouse');
  expect(JSON.stringify(config)).not.toContain('Sup3rSecretPw');
  expect(String(config.database.url)).toBe('[redacted]');

  const yamlCwd = withYaml('masterKeyFile: ./mk\n');
  writeFileSync(join(yamlCwd, 'mk'), 'x'.repeat(44));
  expect(loadConfig({ env: {}, cwd: yamlCwd }).masterKey?.reveal()).toBe('x'.repeat(44));

  const message = errorOf(() =>
    loadConfig({ env: { DATABASE_URL: '', GATEHOUSE_MASTER_KEY_FILE: join(cwd, 'missing') }, cwd }),
  );
  expect(message).toMatch(/^config: masterKeyFile: cannot read .*missing: ENOENT$/);
});
