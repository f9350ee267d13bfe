import { GatehouseError } from '../errors.ts';
import { type PolicyKind, validatePolicyDocument } from '../policy/index.ts';

/**
 * Validates a policy document with the policy engine. An invalid one is refused with every error
 * by its JSON path, prefixed with where the document sits (`inlinePolicy.Statement[0].Effect`).
 */
export function checkPolicy(document: unknown, kind: PolicyKind, where: string): void {
  const result = validatePolicyDocument(document, kind);
  if (result.ok) return;
  const problems = result.errors.map((e) => ({
    path: e.path === '$' ? where : `${where}.${e.path}`,
    message: e.message,
  }));
  throw new GatehouseError(
    'invalid',
    'access.invalid_policy',
    problems.map((p) => `${p.path}: ${p.message}`).join('; '),
    { problems },
  );
}
