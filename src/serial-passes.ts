/**
 * Runs `pass` one at a time. A call during a pass gets that pass's promise and earns exactly one
 * more pass after it, so a wake-up (a NOTIFY, a timer) that arrives mid-pass is never slept
 * through, and any number of wake-ups during one pass cost one extra pass, not one each. A pass
 * that throws rejects the callers of that run and ends it; `stopped()` true ends it too.
 */
export function serialPasses(
  pass: () => Promise<void>,
  stopped: () => boolean = () => false,
): { run(): Promise<void>; current(): Promise<void> | undefined } {
  let running: Promise<void> | undefined;
  let again = false;
  return {
    run() {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        try {
          do {
            again = false;
            await pass();
          } while (again && !stopped());
        } finally {
          running = undefined;
        }
      })();
      return running;
    },
    current: () => running,
  };
}
