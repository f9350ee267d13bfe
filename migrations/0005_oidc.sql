-- OAuth 2.0 / OpenID Connect: registered clients, and what the OpenID provider stores (grants,
-- tokens, codes, sessions, interactions) in one table.

-- Clients are managed by the admin API and `gatehouse apply`. Only the SHA-256 of a client secret
-- is kept (secrets are 256-bit random values, so a plain hash is enough); null for public clients.
create table oauth_clients (
  id text primary key,
  name text not null,
  secret_hash text,
  application_type text not null default 'web' check (application_type in ('web', 'native')),
  redirect_uris text[] not null default '{}',
  post_logout_redirect_uris text[] not null default '{}',
  grant_types text[] not null,
  scopes text[] not null,
  first_party boolean not null default false,
  backchannel_logout_uri text,
  id_token_alg text not null default 'ES256' check (id_token_alg in ('ES256', 'RS256', 'EdDSA')),
  token_endpoint_auth_method text not null default 'client_secret_basic'
    check (token_endpoint_auth_method in ('client_secret_basic', 'client_secret_post')),
  access_token_ttl integer,
  refresh_token_ttl integer,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- The provider's artefacts, one row each: `model` is oidc-provider's model name (AccessToken,
-- RefreshToken, Grant, Session, Interaction, DeviceCode, …). The indexed columns are copied out
-- of the payload for the look-ups the provider makes and for revoking everything of an account.
create table oidc_store (
  model text not null,
  id text not null,
  payload jsonb not null,
  grant_id text,
  uid text,
  user_code text,
  account_id text,
  expires_at timestamptz,
  consumed_at timestamptz,
  primary key (model, id)
);
create index oidc_store_grant on oidc_store (grant_id) where grant_id is not null;
create index oidc_store_uid on oidc_store (model, uid) where uid is not null;
create index oidc_store_user_code on oidc_store (model, user_code) where user_code is not null;
create index oidc_store_account on oidc_store (account_id) where account_id is not null;
create index oidc_store_expires on oidc_store (expires_at) where expires_at is not null;
