import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { commands } from '../src/cli/commands.ts';
import { settings } from '../src/config/settings.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('the README documents every setting with its environment name', () => {
  for (const setting of settings) {
    // Columns may be padded (the formatter aligns tables).
    const row = new RegExp(`\\| \`${literal(setting.path)}\` +\\| \`${literal(setting.env)}\``);
    expect(readme, setting.path).toMatch(row);
  }
});

test('the README documents every CLI command', () => {
  for (const name of Object.keys(commands)) expect(readme, name).toMatch(new RegExp(`\\| \`${name}[ \`]`));
});
