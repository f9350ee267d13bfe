// Credential figures for /metrics: issues and uses by outcome (bounded labels: outcomes and codes).
import { Counter, type Registry } from 'prom-client';

export interface CredentialMetrics {
  issued(outcome: string): void;
  used(outcome: string): void;
}

export function registerCredentialMetrics(registry: Registry): CredentialMetrics {
  const issued = new Counter({
    name: 'gatehouse_credentials_issued_total',
    help: 'Credential issues by outcome (issued, or the refusal code)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const used = new Counter({
    name: 'gatehouse_credentials_verifications_total',
    help: 'Credential uses by outcome (allow, deny, authenticated, or the AWS error code)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  // Children per outcome, looked up once: a use must cost next to nothing.
  const children = new Map<string, { inc(): void }>();
  const child = (counter: Counter, prefix: string, outcome: string) => {
    const key = prefix + outcome;
    let c = children.get(key);
    if (!c) {
      c = counter.labels({ outcome });
      children.set(key, c);
    }
    return c;
  };
  return {
    issued: (outcome) => child(issued, 'i:', outcome).inc(),
    used: (outcome) => child(used, 'u:', outcome).inc(),
  };
}
