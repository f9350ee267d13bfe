-- Directory sync: state per connector, the last run of each kind, what the directory last said about
-- each synced user, and per-run staging that keeps a sync's memory flat however large the directory.

create table sync_state (
  connector_id text primary key,
  -- Opaque resume point for incremental syncs; advanced only by a run that completed and applied.
  high_water_mark text,
  -- The run that last started (its staging rows are cleared by the next run).
  current_run_id uuid,
  -- A run held because it would disable or deprovision too many users: what it would have done.
  -- `gatehouse sync --confirm` (or the admin API, quoting the token) lets a full sync apply that much.
  pending_token text,
  pending_at timestamptz,
  pending_kind text check (pending_kind in ('full', 'incremental')),
  pending_disable integer,
  pending_deprovision integer,
  pending_base integer,
  check ((pending_token is null) = (pending_at is null)),
  updated_at timestamptz not null default now()
);

-- The last run of each kind per connector (the audit log keeps every run as `sync.run`).
create table sync_runs (
  connector_id text not null,
  kind text not null check (kind in ('full', 'incremental')),
  run_id uuid not null,
  trigger text not null,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  duration_ms integer not null,
  -- applied: complete and applied; held: complete, destructive part awaits confirmation;
  -- incomplete: the directory did not prove completeness (nothing destructive); failed: an error.
  outcome text not null check (outcome in ('applied', 'held', 'incomplete', 'failed')),
  complete boolean not null,
  added integer not null default 0,
  updated integer not null default 0,
  disabled integer not null default 0,
  removed integer not null default 0,
  reactivated integer not null default 0,
  errors integer not null default 0,
  -- Group and membership counts, the first few errors, the reason of an incomplete run.
  details jsonb not null default '{}',
  error text,
  primary key (connector_id, kind)
);

-- What the directory last said about a synced user, and which status the sync itself put them in,
-- so that the sync undoes only its own disables and deprovisions, never an administrator's.
create table sync_users (
  user_id uuid primary key references users (id) on delete cascade,
  connector_id text not null,
  directory_disabled boolean not null default false,
  sync_status text check (sync_status in ('disabled', 'deprovisioned'))
);
create index sync_users_connector on sync_users (connector_id) where directory_disabled;

-- Per-run staging, removed when the run ends: external ids the run saw, memberships it wants.
create table sync_run_seen (
  run_id uuid not null,
  kind char(1) not null check (kind in ('u', 'g')),
  external_id text not null,
  primary key (run_id, kind, external_id)
);
create table sync_run_members (
  run_id uuid not null,
  group_id uuid not null,
  member_kind char(1) not null check (member_kind in ('u', 'g')),
  member_external_id text not null,
  primary key (run_id, group_id, member_kind, member_external_id)
);
