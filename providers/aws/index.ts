import type Router from '@koa/router';
import { deriveKey } from '../../src/keys/seal.ts';
import type { Runtime } from '../../src/runtime.ts';
import { issuerOf } from '../oidc/configuration.ts';
import type { OidcProvider } from '../oidc/provider.ts';
import { oidcBridge } from './oidc-bridge.ts';
import { ssoRoutes } from './sso.ts';
import { ssoBackend } from './sso-backend.ts';
import { ssoOidcRoutes } from './sso-oidc.ts';
import { stsRoutes } from './sts.ts';
import { stsBackend } from './sts-backend.ts';

/**
 * The AWS-compatible front doors for SDK and CLI endpoint overrides: `/aws/sso-oidc` (onto the
 * OpenID provider), `/aws/sso` and `/aws/sts` (onto effective access and the credential issuer and
 * verifier). Also makes sure the `gatehouse-cli` client exists for `gatehouse login`.
 */
export function awsFrontDoor(runtime: Runtime, oidc: OidcProvider): Router[] {
  const bridge = oidcBridge(runtime, oidc);
  bridge
    .ensureCliClient()
    .catch((error: unknown) =>
      runtime.log.warn({ err: (error as Error).message }, 'aws: could not create the gatehouse-cli client'),
    );
  const { issuer, verifier } = runtime.access;
  return [
    ssoOidcRoutes(runtime, bridge),
    ssoRoutes(runtime, ssoBackend(runtime.db, bridge, issuer)),
    stsRoutes(
      runtime,
      stsBackend({
        db: runtime.db,
        keys: runtime.keys,
        revocation: runtime.revocation,
        verifier,
        issuer,
        issuerUrl: issuerOf(runtime.config.url),
        trustedAudience: bridge.trustedAudience,
        baseUrl: runtime.config.url,
        persistentNameIdKey: deriveKey(runtime.masterKey, 'saml-persistent-nameid'),
        clockSkewMs: runtime.config.saml.clockSkew,
      }),
    ),
  ];
}
