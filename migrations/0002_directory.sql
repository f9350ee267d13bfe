-- Directory: groups, memberships (user→group and group→group), built-in credentials, tokens,
-- domain events and the hash-chained audit log.

create table groups (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  description text,
  source text not null default 'builtin',
  external_id text,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index groups_name on groups (source, lower(name));
create unique index groups_external_id on groups (source, external_id) where external_id is not null;

create table group_members (
  group_id uuid not null references groups (id) on delete cascade,
  member_user_id uuid references users (id) on delete cascade,
  member_group_id uuid references groups (id) on delete cascade,
  created_at timestamptz not null default now(),
  check ((member_user_id is null) <> (member_group_id is null)),
  check (member_group_id is null or member_group_id <> group_id)
);
create unique index group_members_user on group_members (group_id, member_user_id) where member_user_id is not null;
create unique index group_members_group on group_members (group_id, member_group_id) where member_group_id is not null;
create index group_members_by_user on group_members (member_user_id) where member_user_id is not null;
create index group_members_by_group on group_members (member_group_id) where member_group_id is not null;

alter table users add column erased_at timestamptz;
-- Lower-cased email addresses, for exact look-ups by email.
alter table users add column email_keys jsonb generated always as (lower(jsonb_path_query_array(emails, '$[*].value')::text)::jsonb) stored;
create index users_list on users (lower(user_name), id);
-- Prefix search (LIKE 'abc%') on user name and display name, whatever the database collation.
create index users_name_prefix on users (lower(user_name) text_pattern_ops);
create index users_display_prefix on users (lower(display_name) text_pattern_ops);
create index users_email_keys on users using gin (email_keys);
create index users_status on users (status);

-- Built-in passwords (argon2id, PHC strings). Directory users have none: the directory checks them.
create table password_credentials (
  user_id uuid primary key references users (id) on delete cascade,
  hash text not null,
  changed_at timestamptz not null default now(),
  must_change boolean not null default false
);
create table password_history (
  user_id uuid not null references users (id) on delete cascade,
  hash text not null,
  created_at timestamptz not null default now()
);
create index password_history_user on password_history (user_id, created_at desc);

-- Brute-force counters, per user ('user:<id>') and per client address ('ip:<addr>').
create table auth_throttle (
  key text primary key,
  failures integer not null default 0,
  last_failure_at timestamptz,
  locked_until timestamptz
);

-- Admin API tokens: only a hash is kept; the token is shown once.
create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  token_hash text not null unique,
  scopes text[] not null,
  created_by text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz
);

-- Domain events (user.disabled, membership.removed, …), written in the transaction of the change;
-- revocation and other subscribers read them (and are woken by NOTIFY gatehouse_events).
create table domain_events (
  id bigint generated always as identity primary key,
  type text not null,
  user_id uuid,
  group_id uuid,
  data jsonb not null default '{}',
  at timestamptz not null default now()
);
create index domain_events_user on domain_events (user_id, id) where user_id is not null;

-- Append-only audit log; each row carries the hash of the previous one. The head row serialises
-- writers so concurrent transactions cannot fork the chain.
create table audit_log (
  seq bigint primary key,
  at timestamptz not null,
  actor text not null,
  action text not null,
  target text,
  outcome text not null check (outcome in ('success', 'failure', 'denied')),
  ip text,
  request_id text,
  details jsonb not null default '{}',
  prev_hash text not null,
  hash text not null
);
create index audit_log_action on audit_log (action, seq);
create index audit_log_target on audit_log (target, seq);
create index audit_log_actor on audit_log (actor, seq);
create table audit_head (
  singleton boolean primary key default true check (singleton),
  seq bigint not null,
  hash text not null
);
insert into audit_head (seq, hash) values (0, repeat('0', 64));

-- The audit log is append-only for the application role: updates and deletes are refused.
create function audit_log_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only';
end $$;
create trigger audit_log_no_update before update or delete on audit_log
  for each row execute function audit_log_append_only();
