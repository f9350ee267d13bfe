-- Key ring: signing and sealing keys, encrypted under the master key (never stored here).
create table keyring_check (
  singleton boolean primary key default true check (singleton),
  sealed text not null,
  created_at timestamptz not null default now()
);

create table keys (
  kid text primary key,
  use text not null check (use in ('sig', 'seal')),
  alg text not null check (alg in ('ES256', 'RS256', 'EdDSA', 'A256GCM')),
  public_jwk jsonb,
  sealed_secret text not null,
  created_at timestamptz not null default now(),
  activates_at timestamptz not null default now(),
  retires_at timestamptz,
  check ((use = 'sig') = (public_jwk is not null))
);
create index keys_alg_activates on keys (alg, activates_at desc);

-- People. The directory issue adds groups, memberships and credentials; this table is its base.
create table users (
  id uuid primary key default gen_random_uuid(),
  user_name text not null,
  display_name text,
  given_name text,
  family_name text,
  emails jsonb not null default '[]',
  attributes jsonb not null default '{}',
  status text not null default 'active' check (status in ('active', 'disabled', 'deprovisioned')),
  source text not null default 'builtin',
  external_id text,
  is_root boolean not null default false,
  -- Everything issued to the user before this instant is invalid.
  valid_after timestamptz not null default now(),
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- A deprovisioned tombstone does not hold its name: a new person may take it.
create unique index users_user_name on users (lower(user_name)) where status <> 'deprovisioned';
create unique index users_external_id on users (source, external_id) where external_id is not null;
create unique index users_one_root on users (is_root) where is_root;

-- One-time links (bootstrap administrator set-up, later password resets); only a hash is kept.
create table setup_tokens (
  token_hash text primary key,
  user_id uuid not null references users (id) on delete cascade,
  purpose text not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index setup_tokens_user on setup_tokens (user_id);
