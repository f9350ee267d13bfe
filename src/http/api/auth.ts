import type { Context } from 'koa';
import { GatehouseError } from '../../errors.ts';
import { type BearerVerifier, hasScope, type Principal, type Scope } from '../../tokens/scopes.ts';

const REALM = 'realm="gatehouse"';
// RFC 6750 b64token, one space-separated credential.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Bearer authentication (RFC 6750) for the admin API. The verifiers are tried in order (admin API
 * tokens first; the OpenID provider adds its access tokens): the first principal wins. A missing
 * or unknown credential is a 401 with `WWW-Authenticate: Bearer`; a principal without the route's
 * scope is a 403 that names the scope.
 */
export function bearerAuth(verifiers: readonly BearerVerifier[]) {
  return async (ctx: Context, scope: Scope): Promise<Principal> => {
    const header = ctx.get('authorization');
    if (!header) {
      ctx.set('WWW-Authenticate', `Bearer ${REALM}`);
      throw new GatehouseError(
        'unauthenticated',
        'auth.invalid_token',
        'a bearer token is required (Authorization: Bearer <token>)',
      );
    }
    const bearer = BEARER.exec(header)?.[1];
    let principal: Principal | undefined;
    if (bearer) {
      for (const verify of verifiers) {
        principal = await verify(bearer);
        if (principal) break;
      }
    }
    if (!principal) {
      ctx.set('WWW-Authenticate', `Bearer ${REALM}, error="invalid_token"`);
      throw new GatehouseError(
        'unauthenticated',
        'auth.invalid_token',
        'the bearer token is unknown, expired or revoked',
      );
    }
    if (!hasScope(principal.scopes, scope)) {
      ctx.set('WWW-Authenticate', `Bearer ${REALM}, error="insufficient_scope", scope="${scope}"`);
      throw new GatehouseError(
        'forbidden',
        'auth.insufficient_scope',
        `this operation needs the scope ${scope} (or admin)`,
        { scope },
      );
    }
    return principal;
  };
}
