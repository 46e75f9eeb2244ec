-- Every secret rotated out of a webhook endpoint keeps signing for 24 hours, however many rotations
-- follow: one row per retired secret (the single previous_secret slot dropped the older one at the
-- second rotation). Rotations lock the endpoint row, so each retires the secret the one before set.
CREATE TABLE webhook_endpoint_retired_secrets (
  endpoint_id  text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  secret       text NOT NULL,
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (endpoint_id, secret)
);

INSERT INTO webhook_endpoint_retired_secrets (endpoint_id, secret, expires_at)
  SELECT id, previous_secret, previous_secret_expires_at FROM webhook_endpoints
  WHERE previous_secret IS NOT NULL AND previous_secret_expires_at > now();

ALTER TABLE webhook_endpoints DROP COLUMN previous_secret, DROP COLUMN previous_secret_expires_at;
