import { describe, expect, test } from 'vitest';
import { serialPasses } from '../src/serial-passes.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('serialPasses', () => {
  test('one pass at a time; wake-ups during a pass earn exactly one more', async () => {
    let active = 0;
    let most = 0;
    let passes = 0;
    const runner = serialPasses(async () => {
      active++;
      most = Math.max(most, active);
      passes++;
      await tick();
      active--;
    });
    const first = runner.run();
    const during = [runner.run(), runner.run(), runner.run()];
    expect(during.every((p) => p === first)).toBe(true);
    await first;
    expect(passes).toBe(2);
    expect(most).toBe(1);
    expect(runner.current()).toBeUndefined();
    await runner.run();
    expect(passes).toBe(3);
  });

  test('a pass that throws rejects its callers and leaves the runner usable', async () => {
    let fail = true;
    const runner = serialPasses(async () => {
      await tick();
      if (fail) throw new Error('database gone');
    });
    await expect(runner.run()).rejects.toThrow('database gone');
    fail = false;
    await expect(runner.run()).resolves.toBeUndefined();
  });

  test('stopped() ends the extra pass', async () => {
    let passes = 0;
    let stopped = false;
    const runner = serialPasses(
      async () => {
        passes++;
        await tick();
      },
      () => stopped,
    );
    const first = runner.run();
    void runner.run();
    stopped = true;
    await first;
    expect(passes).toBe(1);
  });
});
