/**
 * Named readiness checks. A node is ready when every check passes; modules that hold state in
 * memory (key ring, later the revocation set) register a check so that a node takes no traffic
 * before that state is loaded, and stops taking it when it goes stale.
 */
export type Check = () => Promise<string | undefined> | string | undefined;

export interface Readiness {
  register(name: string, check: Check): void;
  run(timeoutMs?: number): Promise<{ ready: boolean; checks: Record<string, string> }>;
}

export function createReadiness(): Readiness {
  const checks = new Map<string, Check>();
  return {
    register(name, check) {
      checks.set(name, check);
    },
    async run(timeoutMs = 2_000) {
      const results = await Promise.all(
        [...checks].map(async ([name, check]) => {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<string>((resolve) => {
            timer = setTimeout(() => resolve(`timed out after ${timeoutMs} ms`), timeoutMs);
          });
          try {
            const problem = await Promise.race([Promise.resolve().then(check), timeout]);
            return [name, problem ?? 'ok'] as const;
          } catch (error) {
            return [name, (error as Error).message.split('\n')[0] ?? 'failed'] as const;
          } finally {
            clearTimeout(timer);
          }
        }),
      );
      return { ready: results.every(([, r]) => r === 'ok'), checks: Object.fromEntries(results) };
    },
  };
}
