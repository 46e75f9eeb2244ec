// Deliveries as the delivery workflow reads and records them.
import type { Pool, PoolClient } from 'pg';

export interface DeliveryTarget {
  id: string;
  orgId: string;
  orgName: string;
  channel: 'webhook' | 'email';
  eventOrgId: string;
  eventType: string;
  payload: { type: string; timestamp: string; data: { orgId: string; event: { id: string | null; type: string; at: string; message: string; data: unknown } } };
  /** For a webhook: the endpoint as it is now (null once deleted). */
  endpoint: { id: string; url: string; enabled: boolean; secrets: string[]; failingSince: Date | null } | null;
  /** For an e-mail: the owner's address as it is now (null once removed). */
  email: string | null;
}

interface Row {
  id: string;
  org_id: string;
  org_name: string;
  channel: 'webhook' | 'email';
  event_org_id: string;
  event_type: string;
  payload: DeliveryTarget['payload'];
  endpoint_id: string | null;
  url: string | null;
  enabled: boolean | null;
  secret: string | null;
  previous_secret: string | null;
  previous_valid: boolean | null;
  failing_since: Date | null;
  email: string | null;
}

export async function loadDelivery(db: Pool, deliveryId: string): Promise<DeliveryTarget | undefined> {
  const { rows } = await db.query<Row>(
    `SELECT d.id, d.org_id, o.name AS org_name, d.channel, d.event_org_id, d.event_type, d.payload,
       w.id AS endpoint_id, w.url, w.enabled, w.secret, w.previous_secret, w.previous_secret_expires_at > now() AS previous_valid, w.failing_since,
       n.email
     FROM deliveries d
     JOIN orgs o ON o.id = d.event_org_id
     LEFT JOIN webhook_endpoints w ON w.id = d.endpoint_id
     LEFT JOIN notification_settings n ON d.channel = 'email' AND n.org_id = d.org_id
     WHERE d.id = $1`,
    [deliveryId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    orgId: row.org_id,
    orgName: row.org_name,
    channel: row.channel,
    eventOrgId: row.event_org_id,
    eventType: row.event_type,
    payload: row.payload,
    endpoint: row.endpoint_id
      ? {
          id: row.endpoint_id,
          url: row.url!,
          enabled: row.enabled!,
          secrets: [row.secret!, ...(row.previous_secret && row.previous_valid ? [row.previous_secret] : [])],
          failingSince: row.failing_since,
        }
      : null,
    email: row.email,
  };
}

export interface AttemptRecord {
  status: 'pending' | 'succeeded' | 'failed';
  statusCode: number | null;
  error: string | null;
  nextAttemptInMs: number | null;
}

export async function recordAttempt(db: Pool | PoolClient, deliveryId: string, attempt: AttemptRecord): Promise<void> {
  await db.query(
    `UPDATE deliveries SET attempts = attempts + 1, status = $2, last_status_code = $3, last_error = $4,
       next_attempt_at = CASE WHEN $5::bigint IS NULL THEN NULL ELSE now() + $5::bigint * interval '1 millisecond' END, updated_at = now()
     WHERE id = $1`,
    [deliveryId, attempt.status, attempt.statusCode, attempt.error, attempt.nextAttemptInMs],
  );
}

/** A delivery that will not be attempted (its endpoint was deleted or disabled meanwhile). */
export async function closeDelivery(db: Pool, deliveryId: string, error: string): Promise<void> {
  await db.query("UPDATE deliveries SET status = 'failed', last_error = $2, next_attempt_at = NULL, updated_at = now() WHERE id = $1", [deliveryId, error]);
}

/** Succeeded: the endpoint is healthy again. Failed: since when it has failed (the first failure after a success). */
export async function noteEndpointHealth(db: Pool, endpointId: string, healthy: boolean): Promise<Date | null> {
  const { rows } = await db.query<{ failing_since: Date | null }>(
    `UPDATE webhook_endpoints SET failing_since = CASE WHEN $2 THEN NULL ELSE COALESCE(failing_since, now()) END
     WHERE id = $1 RETURNING failing_since`,
    [endpointId, healthy],
  );
  return rows[0]?.failing_since ?? null;
}
