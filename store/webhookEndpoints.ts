// An organization's webhook endpoints and their delivery log. Deliveries of events are created by
// the trigger on events (migrations/5_notifications.sql); a test event and a manual retry are
// written here, and the relay is woken with pg_notify in the same transaction.
import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { WEBHOOK_TEST_EVENT } from '../domain/eventTypes';
import { newWebhookSecret } from '../notifications/signature';
import { inTransaction } from './transaction';

export interface WebhookEndpoint {
  id: string;
  url: string;
  /** `["*"]`: every type (stored as NULL). */
  eventTypes: string[];
  description: string | null;
  includeSubAccounts: boolean;
  enabled: boolean;
  disabledReason: string | null;
  createdAt: Date;
}

export interface EndpointFields {
  url: string;
  /** null: every type. */
  eventTypes: string[] | null;
  description: string | null;
  includeSubAccounts: boolean;
}

/** Each field given is changed; `enabled: true` also clears the reason and the failing streak. */
export type EndpointChanges = Partial<EndpointFields & { enabled: boolean }>;

export interface DeliveryLogEntry {
  id: string;
  eventId: string | null;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
}

const COLUMNS = `id, url, COALESCE(event_types, ARRAY['*']) AS "eventTypes", description, include_sub_accounts AS "includeSubAccounts",
  enabled, disabled_reason AS "disabledReason", created_at AS "createdAt"`;

const DISABLED_BY_REQUEST = 'Disabled through the API.';

/** Wakes the relay that starts a delivery workflow for every requested run; sent at commit. */
const wakeRelay = (tx: PoolClient) => tx.query(`SELECT pg_notify('deliveries', '')`);

export async function createEndpoint(db: Pool, orgId: string, fields: EndpointFields): Promise<WebhookEndpoint & { secret: string }> {
  const id = `we_${randomBytes(12).toString('hex')}`;
  const secret = newWebhookSecret();
  const { rows } = await db.query<WebhookEndpoint>(
    `INSERT INTO webhook_endpoints (id, org_id, url, event_types, description, include_sub_accounts, secret)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [id, orgId, fields.url, fields.eventTypes, fields.description, fields.includeSubAccounts, secret],
  );
  return { ...rows[0], secret };
}

export async function listEndpoints(db: Pool, orgId: string): Promise<WebhookEndpoint[]> {
  const { rows } = await db.query<WebhookEndpoint>(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE org_id = $1 ORDER BY created_at, id`, [orgId]);
  return rows;
}

export async function getEndpoint(db: Pool, orgId: string, id: string): Promise<WebhookEndpoint | undefined> {
  const { rows } = await db.query<WebhookEndpoint>(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE id = $1 AND org_id = $2`, [id, orgId]);
  return rows[0];
}

/** Undefined when the organization has no such endpoint. */
export async function updateEndpoint(db: Pool, orgId: string, id: string, changes: EndpointChanges): Promise<WebhookEndpoint | undefined> {
  // A new URL is a new receiver: the failing streak of the old one does not count against it.
  const { rows } = await db.query<WebhookEndpoint>(
    `UPDATE webhook_endpoints SET
       url = COALESCE($3::text, url),
       event_types = CASE WHEN $4::boolean THEN $5::text[] ELSE event_types END,
       description = CASE WHEN $6::boolean THEN $7::text ELSE description END,
       include_sub_accounts = COALESCE($8::boolean, include_sub_accounts),
       enabled = COALESCE($9::boolean, enabled),
       disabled_reason = CASE WHEN $9 IS TRUE THEN NULL WHEN $9 IS FALSE THEN COALESCE(disabled_reason, $10::text) ELSE disabled_reason END,
       failing_since = CASE WHEN $9 IS TRUE OR $3 <> url THEN NULL ELSE failing_since END,
       updated_at = now()
     WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
    [
      id,
      orgId,
      changes.url ?? null,
      changes.eventTypes !== undefined,
      changes.eventTypes ?? null,
      changes.description !== undefined,
      changes.description ?? null,
      changes.includeSubAccounts ?? null,
      changes.enabled ?? null,
      DISABLED_BY_REQUEST,
    ],
  );
  return rows[0];
}

/** Its deliveries stay in the log with no endpoint (ON DELETE SET NULL). */
export async function deleteEndpoint(db: Pool, orgId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM webhook_endpoints WHERE id = $1 AND org_id = $2', [id, orgId]);
  return rowCount === 1;
}

/** The new secret; the old one keeps signing alongside it for 24 hours. Undefined when there is no such endpoint. */
export async function rotateSecret(db: Pool, orgId: string, id: string): Promise<string | undefined> {
  const secret = newWebhookSecret();
  const { rowCount } = await db.query(
    `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = now() + interval '24 hours', secret = $3, updated_at = now()
     WHERE id = $1 AND org_id = $2`,
    [id, orgId, secret],
  );
  return rowCount === 1 ? secret : undefined;
}

/** Whether the organization's endpoint is enabled; undefined when it has no such endpoint. Held
 * until commit, so a delivery is never written for an endpoint deleted or disabled meanwhile. */
async function lockEndpoint(tx: PoolClient, orgId: string, id: string): Promise<boolean | undefined> {
  const { rows } = await tx.query<{ enabled: boolean }>('SELECT enabled FROM webhook_endpoints WHERE id = $1 AND org_id = $2 FOR SHARE', [id, orgId]);
  return rows[0]?.enabled;
}

export type EndpointRefusal = 'endpoint_not_found' | 'endpoint_disabled';

/** A `webhook.test` delivery to this endpoint only, in the shape of every delivery's body. */
export async function insertTestDelivery(db: Pool, orgId: string, endpointId: string): Promise<{ deliveryId: string } | EndpointRefusal> {
  const id = `msg_${randomBytes(16).toString('hex')}`;
  const at = new Date().toISOString();
  const payload = {
    type: WEBHOOK_TEST_EVENT,
    timestamp: at,
    data: { orgId, event: { id: null, type: WEBHOOK_TEST_EVENT, at, message: 'Test event from credits billing.', data: {} } },
  };
  return inTransaction(db, async (tx) => {
    const enabled = await lockEndpoint(tx, orgId, endpointId);
    if (enabled === undefined) return 'endpoint_not_found';
    if (!enabled) return 'endpoint_disabled';
    await tx.query(
      `INSERT INTO deliveries (id, org_id, endpoint_id, channel, event_org_id, event_seq, event_type, payload)
       VALUES ($1, $2, $3, 'webhook', $2, NULL, $4, $5)`,
      [id, orgId, endpointId, WEBHOOK_TEST_EVENT, JSON.stringify(payload)],
    );
    await wakeRelay(tx);
    return { deliveryId: id };
  });
}

/** Newest first; `cursor` is the seq of the last entry of the previous page. Ordered by the bigint
 * column: the text seq of the output would sort "9" after "10". */
export async function listDeliveries(db: Pool, endpointId: string, limit: number, cursor: string | undefined): Promise<{ deliveries: DeliveryLogEntry[]; nextCursor: string | null }> {
  const { rows } = await db.query<DeliveryLogEntry & { seq: string }>(
    `SELECT seq::text, id, event_seq::text AS "eventId", event_type AS "eventType", status, attempts, last_status_code AS "lastStatusCode",
       next_attempt_at AS "nextAttemptAt", created_at AS "createdAt"
     FROM deliveries WHERE endpoint_id = $1 AND ($2::bigint IS NULL OR seq < $2) ORDER BY deliveries.seq DESC LIMIT $3`,
    [endpointId, cursor ?? null, limit + 1],
  );
  const page = rows.slice(0, limit);
  return {
    deliveries: page.map(({ seq: _seq, ...entry }) => entry),
    nextCursor: rows.length > limit ? page[page.length - 1].seq : null,
  };
}

export type RetryOutcome = 'retried' | EndpointRefusal | 'delivery_not_found' | 'in_progress';

/** Requests one more run of the delivery workflow, under the same delivery id. */
export async function retryDelivery(db: Pool, orgId: string, endpointId: string, deliveryId: string): Promise<RetryOutcome> {
  return inTransaction(db, async (tx) => {
    const enabled = await lockEndpoint(tx, orgId, endpointId);
    if (enabled === undefined) return 'endpoint_not_found';
    if (!enabled) return 'endpoint_disabled';
    const { rows } = await tx.query<{ status: string }>('SELECT status FROM deliveries WHERE id = $1 AND endpoint_id = $2 FOR UPDATE', [deliveryId, endpointId]);
    if (!rows[0]) return 'delivery_not_found';
    // A pending delivery has a run that will attempt it (or is attempting it now).
    if (rows[0].status === 'pending') return 'in_progress';
    await tx.query(`UPDATE deliveries SET requested_runs = requested_runs + 1, status = 'pending', updated_at = now() WHERE id = $1`, [deliveryId]);
    await wakeRelay(tx);
    return 'retried';
  });
}
