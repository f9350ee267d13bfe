import { isGatehouseError } from '../../src/errors.ts';
import { STATUS_BY_KIND } from '../../src/http/errors.ts';
import type { ScimType } from '../../src/scim/errors.ts';
import { ERROR } from '../../src/scim/schemas.ts';

/** Directory codes that have a SCIM error type of their own. */
const SCIM_TYPE_BY_CODE: Record<string, ScimType> = {
  'directory.user_exists': 'uniqueness',
  'directory.group_exists': 'uniqueness',
  'directory.invalid': 'invalidValue',
  'directory.membership_cycle': 'invalidValue',
  'request.malformed_json': 'invalidSyntax',
};

export interface ScimErrorBody {
  schemas: [typeof ERROR];
  status: string;
  scimType?: ScimType;
  detail: string;
}

/**
 * Anything thrown while answering a SCIM request → RFC 7644 §3.12 error JSON. Domain errors keep
 * their message; anything else is an internal error without details (`internal` tells the caller
 * to log it).
 */
export function scimErrorOf(error: unknown): { status: number; body: ScimErrorBody; internal: boolean } {
  if (isGatehouseError(error)) {
    const status = error.code === 'scim.method_not_allowed' ? 405 : STATUS_BY_KIND[error.kind];
    const scimType = (error.details?.['scimType'] as ScimType | undefined) ?? SCIM_TYPE_BY_CODE[error.code];
    // Invalid input without a more precise type is invalidValue (RFC 7644: the default for 400).
    const type = scimType ?? (status === 400 ? 'invalidValue' : undefined);
    return {
      status,
      body: {
        schemas: [ERROR],
        status: String(status),
        ...(type ? { scimType: type } : {}),
        detail: error.message,
      },
      internal: false,
    };
  }
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return {
      status,
      body: { schemas: [ERROR], status: String(status), detail: 'request refused' },
      internal: false,
    };
  return {
    status: 500,
    body: {
      schemas: [ERROR],
      status: '500',
      detail: 'internal error; quote the request id to an administrator',
    },
    internal: true,
  };
}
