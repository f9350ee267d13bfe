-- Users whose valid_after moved after creation: what every node loads into its revocation set.
create index users_revoked on users (valid_after) where valid_after > created_at;

-- Ended sessions are read back (within the revocation window) by every node's reconcile.
create index domain_events_type_at on domain_events (type, at);

-- Durable cursors of domain-event consumers that must act once per event (logout notices).
create table event_consumers (
  name text primary key,
  last_id bigint not null,
  updated_at timestamptz not null default now()
);
