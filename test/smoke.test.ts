import { expect, test } from 'vitest';

test('type stripping runtime is available', () => {
  expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
});
