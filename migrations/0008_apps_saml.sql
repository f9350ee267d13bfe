-- Application catalog (SAML and OIDC applications shown in the portal), who may use each, and the
-- state of the SAML identity provider: request IDs already accepted (replay) and which
-- applications each portal session signed in to (single logout).

create table applications (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  type text not null check (type in ('saml', 'oidc')),
  -- What the portal shows; the name when null.
  label text,
  logo_url text,
  -- OIDC applications: the OAuth client that signs people in (the clients module owns it).
  oidc_client_id text,
  -- SAML applications: the service provider's settings (src/apps/saml-settings.ts), as JSON.
  saml jsonb,
  -- The SAML entity ID, copied out of `saml` so that it is unique and can be looked up.
  saml_entity_id text,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((type = 'saml') = (saml is not null and saml_entity_id is not null)),
  check ((type = 'oidc') = (oidc_client_id is not null))
);
create unique index applications_name on applications (lower(name));
create unique index applications_client on applications (oidc_client_id) where oidc_client_id is not null;
create unique index applications_entity on applications (saml_entity_id) where saml_entity_id is not null;

create table application_assignments (
  application_id uuid not null references applications (id) on delete cascade,
  user_id uuid references users (id) on delete cascade,
  group_id uuid references groups (id) on delete cascade,
  created_at timestamptz not null default now(),
  check ((user_id is null) <> (group_id is null))
);
create unique index application_assignments_user on application_assignments (application_id, user_id) where user_id is not null;
create unique index application_assignments_group on application_assignments (application_id, group_id) where group_id is not null;
create index application_assignments_by_user on application_assignments (user_id) where user_id is not null;
create index application_assignments_by_group on application_assignments (group_id) where group_id is not null;

-- AuthnRequest IDs seen, per service provider, kept until the request could no longer be accepted.
create table saml_request_ids (
  sp_entity_id text not null,
  request_id text not null,
  expires_at timestamptz not null,
  primary key (sp_entity_id, request_id)
);
create index saml_request_ids_expiry on saml_request_ids (expires_at);

-- The SAML applications a portal session signed in to, with what single logout must quote to each.
create table saml_session_participants (
  portal_session_id text not null,
  application_id uuid not null references applications (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  name_id text not null,
  name_id_format text not null,
  session_index text not null,
  created_at timestamptz not null default now(),
  primary key (portal_session_id, application_id)
);

-- A single logout in progress: the SPs of the ended session are told one after the other (each
-- answers to /saml/slo quoting this id as RelayState), then the SP that asked gets its answer.
create table saml_logouts (
  id text primary key,
  portal_session_id text not null,
  origin_application_id uuid references applications (id) on delete cascade,
  origin_request_id text,
  origin_relay_state text,
  created_at timestamptz not null default now()
);
