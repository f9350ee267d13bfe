import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GatehouseError } from '../errors.ts';
import type { Secret } from '../secret.ts';

export interface MasterKey {
  key: Buffer;
  /** Where it came from, for messages: never the key itself. */
  source: 'config' | 'generated' | 'file';
  path?: string;
  warning?: string;
}

/** 32 bytes, written as base64 (standard or url-safe) or 64 hex digits. */
export function decodeMasterKey(text: string): Buffer | undefined {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 32) return bytes;
  }
  return undefined;
}

/**
 * The master key from configuration (GATEHOUSE_MASTER_KEY or its _FILE), else from
 * DATA_DIR/master.key, created with mode 0600 on first start.
 */
export function loadMasterKey(configured: Secret | undefined, dataDir: string): MasterKey {
  if (configured) {
    const key = decodeMasterKey(configured.reveal());
    if (!key) {
      throw new GatehouseError(
        'invalid',
        'config.invalid',
        'config: masterKey: expected 32 bytes as base64 or hex (env GATEHOUSE_MASTER_KEY)',
      );
    }
    return { key, source: 'config' };
  }
  const path = join(dataDir, 'master.key');
  if (existsSync(path)) {
    const key = decodeMasterKey(readFileSync(path, 'utf8'));
    if (!key)
      throw new GatehouseError(
        'invalid',
        'keys.master_key_file',
        `master key file ${path} is not 32 bytes of base64`,
      );
    const loose = (statSync(path).mode & 0o077) !== 0;
    return {
      key,
      source: 'file',
      path,
      ...(loose ? { warning: `master key file ${path} is readable by other users; chmod 600 it` } : {}),
    };
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return {
    key,
    source: 'generated',
    path,
    warning: `generated a master key in ${path}; production should supply GATEHOUSE_MASTER_KEY_FILE from a secret store and back it up — without it the key ring cannot be read`,
  };
}
