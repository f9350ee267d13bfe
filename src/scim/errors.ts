import { GatehouseError } from '../errors.ts';

/**
 * SCIM error types (RFC 7644 §3.12). Errors raised by the SCIM front door carry the scimType in
 * their code (`scim.<scimType>`); the SCIM front door turns them, and the directory's own errors, into SCIM
 * error JSON.
 */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export function scimError(scimType: ScimType, message: string): GatehouseError {
  const kind = scimType === 'uniqueness' ? 'conflict' : scimType === 'tooMany' ? 'too_large' : 'invalid';
  return new GatehouseError(kind, `scim.${scimType}`, message, { scimType });
}

export const invalidFilter = (message: string) => scimError('invalidFilter', message);
export const invalidPath = (message: string) => scimError('invalidPath', message);
export const invalidValue = (message: string) => scimError('invalidValue', message);
export const invalidSyntax = (message: string) => scimError('invalidSyntax', message);
export const mutability = (message: string) => scimError('mutability', message);
export const noTarget = (message: string) => scimError('noTarget', message);
