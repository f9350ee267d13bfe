import type { ClientMetadata } from 'oidc-provider';
import type { ClientRecord } from '../../src/clients/clients.ts';
import { OIDC_SCOPES } from '../../src/clients/schemas.ts';

const oidc = new Set<string>(OIDC_SCOPES);

/** Gatehouse's own client settings travel as extra metadata (kept under these names). */
export const EXTRA_METADATA = [
  'gatehouse_first_party',
  'gatehouse_api_scopes',
  'gatehouse_access_token_ttl',
  'gatehouse_refresh_token_ttl',
];

/**
 * A client as oidc-provider reads it. `client_secret` holds the SHA-256 of the secret, never the
 * secret: the provider's comparison is replaced by a hash comparison (provider.ts), and symmetric
 * algorithms, which would use the secret as a key, are not enabled.
 */
export function clientMetadata(client: ClientRecord): ClientMetadata {
  const grants = new Set(client.grantTypes);
  const oidcScopes = client.scopes.filter((s) => oidc.has(s));
  return {
    client_id: client.clientId,
    client_name: client.name,
    ...(client.secretHash ? { client_secret: client.secretHash } : {}),
    token_endpoint_auth_method: client.public ? 'none' : client.tokenEndpointAuthMethod,
    application_type: client.applicationType,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    response_types: grants.has('authorization_code') ? ['code'] : [],
    // OpenID scopes here; the admin API scopes belong to the API resource (configuration.ts).
    ...(oidcScopes.length ? { scope: oidcScopes.join(' ') } : {}),
    id_token_signed_response_alg: client.idTokenAlg,
    ...(client.backchannelLogoutUri
      ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true }
      : {}),
    gatehouse_first_party: client.firstParty,
    gatehouse_api_scopes: client.scopes.filter((s) => !oidc.has(s)),
    gatehouse_access_token_ttl: client.accessTokenTtl,
    gatehouse_refresh_token_ttl: client.refreshTokenTtl,
  };
}
