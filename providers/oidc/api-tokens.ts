import { decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { personApiScopes } from '../../src/clients/api-access.ts';
import { clientExpired, findClient } from '../../src/clients/clients.ts';
import { findUser } from '../../src/directory/users.ts';
import type { Runtime } from '../../src/runtime.ts';
import { type BearerVerifier, hasScope, SCOPES, type Scope } from '../../src/tokens/scopes.ts';
import { apiResourceOf, issuerOf } from './configuration.ts';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

interface AccessTokenClaims extends JWTPayload {
  client_id?: string;
  scope?: string;
  gatehouse_principal?: 'user' | 'client';
}

/**
 * The admin API accepts JWT access tokens from Gatehouse's own OpenID provider whose audience is
 * the API (`{GATEHOUSE_URL}/api`), signed by a key of the key ring. The token's scopes are the
 * admin scopes; they are re-checked on every use: a client must still exist, a person must still
 * be active, not signed out everywhere since (valid_after), and still hold the scopes.
 */
export function oidcAccessTokenVerifier(runtime: Runtime): BearerVerifier {
  const issuer = issuerOf(runtime.config.url);
  const audience = apiResourceOf(runtime.config.url);
  return async (bearer) => {
    if (!JWT.test(bearer) || bearer.length > 8192) return undefined;
    let claims: AccessTokenClaims;
    try {
      const { kid } = decodeProtectedHeader(bearer);
      const key = runtime.keys.verificationKeys().find((k) => k.kid === kid);
      if (!key) return undefined;
      ({ payload: claims } = await jwtVerify<AccessTokenClaims>(bearer, key.publicKey, {
        issuer,
        audience,
        typ: 'at+jwt',
        algorithms: [key.alg],
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch {
      return undefined;
    }
    const granted = (claims.scope ?? '')
      .split(' ')
      .filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
    if (claims.gatehouse_principal === 'client') {
      const client = claims.client_id ? await findClient(runtime.db, claims.client_id) : undefined;
      if (!client || clientExpired(client) || client.clientId !== claims.sub) return undefined;
      return { actor: `client:${client.clientId}`, scopes: granted, name: client.name };
    }
    const user = await findUser(runtime.db, String(claims.sub));
    if (user?.status !== 'active') return undefined;
    if ((claims.iat ?? 0) < Math.floor(user.validAfter.getTime() / 1000)) return undefined;
    // This node's revocation set as well (ended grants; a stale set refuses: fail closed).
    const grantId = typeof claims['gatehouse_grant'] === 'string' ? claims['gatehouse_grant'] : undefined;
    if (
      runtime.revocation.check({
        userId: user.id,
        issuedAt: (claims.iat ?? 0) * 1000,
        ...(grantId ? { sessionId: grantId } : {}),
      }) !== undefined
    )
      return undefined;
    const held = await personApiScopes(runtime.db, user, runtime.config.administrators.group);
    return {
      actor: `user:${user.id}`,
      scopes: granted.filter((s) => held.some((h) => hasScope([h], s))),
      name: user.userName,
    };
  };
}
