import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { GatehouseError } from '../errors.ts';
import { type Config, configSchema } from './schema.ts';
import { type Setting, settings } from './settings.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** Environment names that are not settings but are allowed to carry the prefix. */
// GATEHOUSE_HOME is the CLI's own folder (gatehouse login), not a server setting.
const RESERVED_ENV = /^GATEHOUSE_(CONFIG|HOME|TEST_.*)$/;

function configError(message: string): GatehouseError {
  return new GatehouseError('invalid', 'config.invalid', `config: ${message}`);
}

/**
 * Loads the configuration once: `gatehouse.yaml` (or `--config`, or GATEHOUSE_CONFIG) overlaid with
 * the environment, secrets read from their files, validated as a whole. Any problem is a
 * GatehouseError whose one-line message names the key; secret values never appear in it.
 */
export function loadConfig(options: { env: Env; file?: string | undefined; cwd?: string }): Config {
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ?? options.env['GATEHOUSE_CONFIG'];
  const file = explicit ? resolve(cwd, explicit) : resolve(cwd, 'gatehouse.yaml');
  const raw: Record<string, unknown> = explicit || existsSync(file) ? readYaml(file) : {};

  for (const setting of settings) {
    if (setting.secret) readSecretFile(raw, setting, options.env, cwd);
    const value = options.env[setting.env];
    if (value !== undefined && value !== '') setPath(raw, setting.path, fromEnv(value, setting));
  }
  for (const name of Object.keys(options.env)) {
    const known = settings.some((s) => s.env === name || (s.secret && `${s.env}_FILE` === name));
    if (name.startsWith('GATEHOUSE_') && !known && !RESERVED_ENV.test(name)) {
      throw configError(`unknown environment variable ${name}`);
    }
  }

  resolveConnectorFiles(raw, cwd);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw configError(describeIssue(parsed.error.issues[0]!));
  const config = parsed.data;
  return { ...config, dataDir: resolve(cwd, config.dataDir) };
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw configError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const problem = doc.errors[0];
  if (problem) {
    const line = text.slice(0, problem.pos[0]).split('\n').length;
    throw configError(`${file}${line ? `:${line}` : ''}: ${problem.message.split('\n')[0]}`);
  }
  const value: unknown = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    throw configError(`${file}: expected a mapping of settings at the top level`);
  }
  return value as Record<string, unknown>;
}

/** `masterKeyFile` in the YAML or `GATEHOUSE_MASTER_KEY_FILE` in the environment. */
function readSecretFile(raw: Record<string, unknown>, setting: Setting, env: Env, cwd: string): void {
  const yamlKey = `${setting.path}File`;
  const fromYaml = getPath(raw, yamlKey);
  deletePath(raw, yamlKey);
  const path = env[`${setting.env}_FILE`] || fromYaml;
  if (path === undefined) return;
  if (typeof path !== 'string') throw configError(`${yamlKey}: expected a file path`);
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw configError(`${yamlKey}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  setPath(raw, setting.path, text.trim());
}

function fromEnv(value: string, setting: Setting): unknown {
  switch (setting.type) {
    case 'int':
      return /^-?\d+$/.test(value) ? Number(value) : value;
    case 'bool':
      return (
        (
          { true: true, '1': true, yes: true, false: false, '0': false, no: false } as Record<string, boolean>
        )[value.toLowerCase()] ?? value
      );
    default:
      return value;
  }
}

/**
 * Connector entries name files (`bindPasswordFile`, `tls.caFile`, …) that the connector reads when it
 * is built: make them absolute against the working directory and check now that they can be read,
 * so that a wrong path stops start-up with the key named.
 */
function resolveConnectorFiles(raw: Record<string, unknown>, cwd: string): void {
  const list = raw['connectors'];
  if (!Array.isArray(list)) return;
  const visit = (node: unknown, path: string): void => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
    const record = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(record)) {
      if (key.endsWith('File') && typeof value === 'string' && value !== '') {
        const file = resolve(cwd, value);
        try {
          readFileSync(file);
        } catch (error) {
          throw configError(
            `${path}.${key}: cannot read ${value}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
          );
        }
        record[key] = file;
      } else visit(value, `${path}.${key}`);
    }
  };
  list.forEach((entry, i) => {
    visit(entry, `connectors[${i}]`);
  });
}

/** `connectors[0].urls[1]`: array indexes in brackets. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (path ? `${path}.${k}` : k));
    return `unknown key ${keys.join(', ')}`;
  }
  const setting = settings.find((s) => s.path === path);
  // Never echo what was received for a secret.
  const message = setting?.secret ? 'invalid value' : issue.message;
  return `${path || '(top level)'}: ${message}${setting ? ` (env ${setting.env})` : ''}`;
}

function getPath(target: Record<string, unknown>, path: string): unknown {
  let node: unknown = target;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

function deletePath(target: Record<string, unknown>, path: string): void {
  const keys = path.split('.');
  const parent = getPath(target, keys.slice(0, -1).join('.')) ?? (keys.length === 1 ? target : undefined);
  if (typeof parent === 'object' && parent !== null) delete (parent as Record<string, unknown>)[keys.at(-1)!];
}
