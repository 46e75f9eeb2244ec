-- Outbound notifications: signed webhooks to the organization's endpoints and e-mail to its owner.
-- Deliveries are created by a trigger in the same transaction as the event they carry (a
-- transactional outbox): an event is never lost between PostgreSQL and Temporal.

CREATE TABLE webhook_endpoints (
  id                          text PRIMARY KEY,
  org_id                      text NOT NULL REFERENCES orgs (id),
  url                         text NOT NULL,
  -- NULL: every event type.
  event_types                 text[],
  description                 text,
  -- An agency's endpoint may also receive its sub-accounts' events.
  include_sub_accounts        boolean NOT NULL DEFAULT false,
  enabled                     boolean NOT NULL DEFAULT true,
  disabled_reason             text,
  secret                      text NOT NULL,
  -- After a rotation, deliveries are signed with the previous secret too until it expires.
  previous_secret             text,
  previous_secret_expires_at  timestamptz,
  -- Since when every attempt has failed (NULL after a success): past WEBHOOK_DISABLE_AFTER_MS it is disabled.
  failing_since               timestamptz,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_org_id ON webhook_endpoints (org_id);

CREATE TABLE notification_settings (
  org_id       text PRIMARY KEY REFERENCES orgs (id),
  email        text,
  event_types  text[] NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deliveries (
  -- The webhook-id: the same on every attempt, one per event and endpoint (or e-mail).
  id               text PRIMARY KEY,
  -- Orders the delivery log (newest first) and pages it.
  seq              bigserial UNIQUE,
  -- The organization that owns the endpoint or the e-mail setting.
  org_id           text NOT NULL,
  endpoint_id      text REFERENCES webhook_endpoints (id) ON DELETE SET NULL,
  channel          text NOT NULL CHECK (channel IN ('webhook', 'email')),
  -- Whose event it is (a sub-account's, for an agency's endpoint), and which.
  event_org_id     text NOT NULL,
  event_seq        bigint,
  event_type       text NOT NULL,
  payload          jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  last_status_code integer,
  last_error       text,
  next_attempt_at  timestamptz,
  -- A run of the delivery workflow is started for every request (the first, then each manual retry).
  requested_runs   integer NOT NULL DEFAULT 1,
  dispatched_runs  integer NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_endpoint_seq ON deliveries (endpoint_id, seq DESC);
CREATE INDEX deliveries_undispatched ON deliveries (seq) WHERE requested_runs > dispatched_runs;

-- The body every attempt of a delivery sends.
CREATE FUNCTION delivery_payload(e events) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'type', e.type,
    'timestamp', to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'data', jsonb_build_object(
      'orgId', e.org_id,
      'event', jsonb_build_object(
        'id', e.seq::text,
        'type', e.type,
        'at', to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'message', e.message,
        'data', e.data)));
$$;

CREATE FUNCTION enqueue_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  agency text;
  queued integer;
BEGIN
  SELECT parent_id INTO agency FROM orgs WHERE id = NEW.org_id;
  INSERT INTO deliveries (id, org_id, endpoint_id, channel, event_org_id, event_seq, event_type, payload)
  SELECT 'msg_' || md5(w.id || '/' || NEW.org_id || '/' || NEW.seq), w.org_id, w.id, 'webhook', NEW.org_id, NEW.seq, NEW.type, delivery_payload(NEW)
  FROM webhook_endpoints w
  WHERE w.enabled
    AND (w.org_id = NEW.org_id OR (w.org_id = agency AND w.include_sub_accounts))
    AND (w.event_types IS NULL OR NEW.type = ANY (w.event_types))
  ON CONFLICT (id) DO NOTHING;
  GET DIAGNOSTICS queued = ROW_COUNT;
  INSERT INTO deliveries (id, org_id, endpoint_id, channel, event_org_id, event_seq, event_type, payload)
  SELECT 'msg_' || md5('email/' || NEW.org_id || '/' || NEW.seq), n.org_id, NULL, 'email', NEW.org_id, NEW.seq, NEW.type, delivery_payload(NEW)
  FROM notification_settings n
  WHERE n.org_id = NEW.org_id AND n.email IS NOT NULL AND NEW.type = ANY (n.event_types)
  ON CONFLICT (id) DO NOTHING;
  IF queued > 0 OR FOUND THEN
    PERFORM pg_notify('deliveries', '');
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER events_enqueue_deliveries AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION enqueue_deliveries();
