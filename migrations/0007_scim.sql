-- SCIM 2.0 provisioning.

-- SCIM bearer tokens are API tokens of another kind: same hashing, expiry, revocation and audit,
-- but a token of one kind is never accepted where the other is expected (a SCIM token cannot call
-- the admin API, an admin token cannot provision over SCIM).
alter table api_tokens add column kind text not null default 'admin' check (kind in ('admin', 'scim'));
create index api_tokens_active_kind on api_tokens (kind) where revoked_at is null;

-- SCIM attributes of a user that have no directory column (title, nickName, phoneNumbers,
-- addresses, locale, …), kept as the sender wrote them. `revision` counts their changes: the SCIM
-- version of a user is users.version + revision, so a change to either moves the ETag.
create table scim_user_profiles (
  user_id uuid primary key references users (id) on delete cascade,
  data jsonb not null default '{}',
  revision integer not null default 0
);
