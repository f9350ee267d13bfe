-- Clients registered by themselves (AWS SSO-OIDC RegisterClient) expire like their secrets do;
-- administrators' clients have no expiry. Expired clients are refused at once and swept later.
alter table oauth_clients add column expires_at timestamptz;
create index oauth_clients_expires on oauth_clients (expires_at) where expires_at is not null;
