-- Access: accounts, managed policies, permission sets and assignments of users or groups to
-- (account, permission set). Credentials are not stored: they are sealed and verified without a read.

create table accounts (
  id text primary key check (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  name text not null,
  email text,
  tags jsonb not null default '{}',
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index accounts_name on accounts (lower(name));

-- Named IAM policy documents; the version goes up with each change of the document.
create table managed_policies (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  description text,
  document jsonb not null,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index managed_policies_name on managed_policies (lower(name));

-- The version goes up with every change of the set or of a managed policy it uses: credentials
-- carry the version they were issued under, so revocation can tell they are out of date.
create table permission_sets (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  description text,
  session_duration text not null default 'PT1H',
  inline_policy jsonb,
  boundary_policy_id uuid references managed_policies (id),
  relay_state text,
  tags jsonb not null default '{}',
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index permission_sets_name on permission_sets (lower(name));

create table permission_set_policies (
  permission_set_id uuid not null references permission_sets (id) on delete cascade,
  policy_id uuid not null references managed_policies (id),
  position integer not null,
  primary key (permission_set_id, policy_id)
);
create index permission_set_policies_policy on permission_set_policies (policy_id);

create table assignments (
  id uuid primary key default gen_random_uuid(),
  account_id text not null references accounts (id) on delete cascade,
  permission_set_id uuid not null references permission_sets (id) on delete cascade,
  user_id uuid references users (id) on delete cascade,
  group_id uuid references groups (id) on delete cascade,
  created_at timestamptz not null default now(),
  check ((user_id is null) <> (group_id is null))
);
create unique index assignments_user on assignments (account_id, permission_set_id, user_id) where user_id is not null;
create unique index assignments_group on assignments (account_id, permission_set_id, group_id) where group_id is not null;
create index assignments_by_user on assignments (user_id) where user_id is not null;
create index assignments_by_group on assignments (group_id) where group_id is not null;
create index assignments_by_permission_set on assignments (permission_set_id);
