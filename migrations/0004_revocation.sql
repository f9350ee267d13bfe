-- Revocations narrower than a user's valid_after: one session, one user's assignment (account +
-- permission set), or the versions of a permission set below a minimum. Rows, not memory: they
-- survive restarts, and every node reloads them on its reconcile timer.
create table revocations (
  id bigserial primary key,
  kind text not null check (kind in ('session', 'assignment', 'permission_set')),
  user_id uuid,
  session_id text,
  account_id text,
  permission_set_id text,
  min_version integer,
  not_before timestamptz not null default now(),
  -- After this nothing the revocation could apply to is alive; the row may go.
  expires_at timestamptz not null,
  reason text not null,
  created_at timestamptz not null default now(),
  check (kind <> 'session' or session_id is not null),
  check (kind <> 'assignment' or (user_id is not null and account_id is not null and permission_set_id is not null)),
  check (kind <> 'permission_set' or (permission_set_id is not null and min_version is not null))
);
create index revocations_expires_at on revocations (expires_at);

-- Users whose valid_after moved after creation: what every node loads into its revocation set.
create index users_revoked on users (valid_after) where valid_after > created_at;

-- Durable cursors of domain-event consumers that must act once per event (logout notices).
create table event_consumers (
  name text primary key,
  last_id bigint not null,
  updated_at timestamptz not null default now()
);
