-- The billing portal's sign-in: a one-time code in the link (60 s, once) exchanged for a session
-- cookie. Only SHA-256 hashes are stored, so a database read does not hand out live credentials.

CREATE TABLE portal_codes (
  code_hash   text PRIMARY KEY,
  org_id      text NOT NULL REFERENCES orgs (id),
  role        text NOT NULL CHECK (role IN ('owner', 'member')),
  subject     text NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);

CREATE TABLE portal_sessions (
  id_hash     text PRIMARY KEY,
  org_id      text NOT NULL REFERENCES orgs (id),
  role        text NOT NULL CHECK (role IN ('owner', 'member')),
  subject     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX portal_sessions_expires_at ON portal_sessions (expires_at);
