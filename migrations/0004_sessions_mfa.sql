-- Portal sessions and second factors (TOTP devices, recovery codes).

-- Server-side portal sessions: the browser holds a random token, only its SHA-256 is kept here.
-- Ending a session deletes its row (the audit log keeps the record).
create table portal_sessions (
  id uuid primary key,
  token_hash text not null unique,
  user_id uuid not null references users (id) on delete cascade,
  created_at timestamptz not null,
  last_seen_at timestamptz not null,
  auth_time timestamptz not null,
  amr text[] not null,
  acr text not null,
  mfa boolean not null,
  user_agent text,
  ip text
);
create index portal_sessions_user on portal_sessions (user_id, created_at);
create index portal_sessions_last_seen on portal_sessions (last_seen_at);

-- TOTP devices. The secret is sealed (AES-256-GCM) with the key ring's sealing key `seal_kid`,
-- bound to the device id. A device without confirmed_at is an enrolment not finished yet.
-- last_step is the RFC 6238 time step of the last code accepted: a code at or before it is refused.
create table mfa_totp (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  label text not null,
  sealed_secret text not null,
  seal_kid text not null,
  created_at timestamptz not null default now(),
  confirmed_at timestamptz,
  last_step bigint,
  last_used_at timestamptz
);
create index mfa_totp_user on mfa_totp (user_id);

-- Single-use recovery codes; only a salted SHA-256 is kept (the codes carry 80 random bits).
create table mfa_recovery_codes (
  user_id uuid not null references users (id) on delete cascade,
  code_hash text not null,
  created_at timestamptz not null default now(),
  used_at timestamptz,
  primary key (user_id, code_hash)
);
