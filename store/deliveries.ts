// Deliveries (deliveries): the outbox of notifications. The trigger of migration 5
// (enqueue_deliveries, on every inserted event, events.ts) writes, in the event's own transaction,
// one delivery per event and enabled endpoint that takes its type (an agency's too, with
// includeSubAccounts) and one for the owner's e-mail when its setting takes it, each with the body
// every attempt sends (delivery_payload) and an id that names the event and the endpoint; then,
// when it wrote any, it NOTIFYs deliveries. A test event and a manual retry are written here and
// notify in their own transaction. The relay (api/deliveryRelay.ts) listens and starts a delivery
// workflow for every requested run; the workflow's activity reads and records each attempt.
import { randomBytes } from 'node:crypto';
import pg, { type Pool, type PoolClient } from 'pg';
import { WEBHOOK_TEST_EVENT } from '../domain/eventTypes';
import { inTransaction } from './transaction';
import { lockEndpoint } from './webhookEndpoints';

export interface DeliveryTarget {
  id: string;
  orgId: string;
  orgName: string;
  channel: 'webhook' | 'email';
  eventOrgId: string;
  eventType: string;
  payload: { type: string; timestamp: string; data: { orgId: string; event: { id: string | null; type: string; at: string; message: string; data: unknown } } };
  /** For a webhook: the endpoint as it is now (null once deleted); its secrets: the current one, then
   * those rotated out within 24 hours, newest first. */
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
  retired_secrets: string[];
  failing_since: Date | null;
  email: string | null;
}

export async function loadDelivery(db: Pool, deliveryId: string): Promise<DeliveryTarget | undefined> {
  const { rows } = await db.query<Row>(
    `SELECT d.id, d.org_id, o.name AS org_name, d.channel, d.event_org_id, d.event_type, d.payload,
       w.id AS endpoint_id, w.url, w.enabled, w.secret, w.failing_since,
       ARRAY(SELECT r.secret FROM webhook_endpoint_retired_secrets r WHERE r.endpoint_id = w.id AND r.expires_at > now() ORDER BY r.expires_at DESC) AS retired_secrets,
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
          secrets: [row.secret!, ...row.retired_secrets],
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

/** What an attempt stores comes partly from the endpoint (its error, its status): bounded, so that
 * recording an attempt never fails on what an endpoint answered (a failed record retries the attempt). */
const MAX_ERROR_LENGTH = 1000;
const MAX_NEXT_ATTEMPT_IN_MS = 366 * 24 * 60 * 60 * 1000;

const storableError = (error: string | null) => (error === null ? null : error.replace(/\0/g, '').slice(0, MAX_ERROR_LENGTH));
const storableStatus = (code: number | null) => (code !== null && Number.isInteger(code) && code >= 0 && code <= 999 ? code : null);
const storableDelay = (ms: number | null) => (ms === null || Number.isNaN(ms) ? null : Math.min(Math.max(0, Math.round(ms)), MAX_NEXT_ATTEMPT_IN_MS));

export async function recordAttempt(db: Pool | PoolClient, deliveryId: string, attempt: AttemptRecord): Promise<void> {
  await db.query(
    `UPDATE deliveries SET attempts = attempts + 1, status = $2, last_status_code = $3, last_error = $4,
       next_attempt_at = CASE WHEN $5::bigint IS NULL THEN NULL ELSE now() + $5::bigint * interval '1 millisecond' END, updated_at = now()
     WHERE id = $1`,
    [deliveryId, attempt.status, storableStatus(attempt.statusCode), storableError(attempt.error), storableDelay(attempt.nextAttemptInMs)],
  );
}

/** A delivery that will not be attempted (its endpoint was deleted or disabled meanwhile). */
export async function closeDelivery(db: Pool, deliveryId: string, error: string): Promise<void> {
  await db.query("UPDATE deliveries SET status = 'failed', last_error = $2, next_attempt_at = NULL, updated_at = now() WHERE id = $1", [deliveryId, error]);
}

// The API's: an endpoint's delivery log, a test delivery and a manual retry.

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

/** Wakes the relay that starts a delivery workflow for every requested run; sent at commit. */
const wakeRelay = (tx: PoolClient) => tx.query(`SELECT pg_notify('deliveries', '')`);

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

// The relay's.

/** A connection of its own that calls `wake` on every NOTIFY on deliveries. */
export async function listenForDeliveries(databaseUrl: string, wake: () => void): Promise<pg.Client> {
  const listener = new pg.Client({ connectionString: databaseUrl });
  listener.on('error', () => undefined); // a lost listener is made good by the sweeps
  listener.on('notification', () => wake());
  await listener.connect();
  await listener.query('LISTEN deliveries');
  return listener;
}

/**
 * Deliveries with a run requested and not yet started, each with its last requested run: at most
 * `perOrg` of each organization (the endpoints' owner), taken in turns (every organization's
 * oldest, then every organization's second oldest, ...), so one organization's backlog cannot
 * hold back another's deliveries.
 */
export async function undispatchedRuns(db: Pool, limit: number, perOrg: number): Promise<Array<{ deliveryId: string; run: number }>> {
  // The waiting organizations one index probe each (a loose scan of deliveries_undispatched_by_org),
  // then each one's oldest `perOrg`: the cost grows with the organizations waiting, not the backlog.
  const { rows } = await db.query<{ id: string; requested_runs: number }>(
    `WITH RECURSIVE waiting AS (
       (SELECT org_id FROM deliveries WHERE requested_runs > dispatched_runs ORDER BY org_id LIMIT 1)
       UNION ALL
       SELECT (SELECT d.org_id FROM deliveries d WHERE d.requested_runs > d.dispatched_runs AND d.org_id > w.org_id ORDER BY d.org_id LIMIT 1)
       FROM waiting w WHERE w.org_id IS NOT NULL
     )
     SELECT oldest.id, oldest.requested_runs FROM waiting w
     CROSS JOIN LATERAL (
       SELECT d.id, d.requested_runs, d.seq, row_number() OVER (ORDER BY d.seq) AS turn
       FROM deliveries d WHERE d.org_id = w.org_id AND d.requested_runs > d.dispatched_runs ORDER BY d.seq LIMIT $2
     ) oldest
     ORDER BY oldest.turn, oldest.seq LIMIT $1`,
    [limit, perOrg],
  );
  return rows.map((row) => ({ deliveryId: row.id, run: row.requested_runs }));
}

/** The runs up to `run` are started. */
export async function markDispatched(db: Pool, deliveryId: string, run: number): Promise<void> {
  await db.query('UPDATE deliveries SET dispatched_runs = $2 WHERE id = $1 AND dispatched_runs < $2', [deliveryId, run]);
}
