// An organization's webhook endpoints (webhook_endpoints): their settings, their secrets (made by
// the caller and stored as given) and their health as the delivery attempts find it. Their
// deliveries are in deliveries.ts.
import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { recordEventIn } from './events';
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

const COLUMNS = `id, url, COALESCE(event_types, ARRAY['*']) AS "eventTypes", description, include_sub_accounts AS "includeSubAccounts",
  enabled, disabled_reason AS "disabledReason", created_at AS "createdAt"`;

const DISABLED_BY_REQUEST = 'Disabled through the API.';

/** An organization's endpoints, enabled or not: each event is written once per endpoint, in the transaction that records it. */
export const MAX_ENDPOINTS_PER_ORG = 20;

/** 'endpoint_limit_reached' when the organization has MAX_ENDPOINTS_PER_ORG already. */
export async function createEndpoint(db: Pool, orgId: string, fields: EndpointFields, secret: string): Promise<(WebhookEndpoint & { secret: string }) | 'endpoint_limit_reached'> {
  const id = `we_${randomBytes(12).toString('hex')}`;
  return inTransaction(db, async (tx) => {
    // Concurrent creations for one organization count one after the other. NO KEY UPDATE leaves
    // the foreign-key checks of other writes referencing the organization unblocked.
    await tx.query('SELECT 1 FROM orgs WHERE id = $1 FOR NO KEY UPDATE', [orgId]);
    const { rows: counted } = await tx.query<{ endpoints: number }>('SELECT count(*)::int AS endpoints FROM webhook_endpoints WHERE org_id = $1', [orgId]);
    if (counted[0].endpoints >= MAX_ENDPOINTS_PER_ORG) return 'endpoint_limit_reached';
    const { rows } = await tx.query<WebhookEndpoint>(
      `INSERT INTO webhook_endpoints (id, org_id, url, event_types, description, include_sub_accounts, secret)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [id, orgId, fields.url, fields.eventTypes, fields.description, fields.includeSubAccounts, secret],
    );
    return { ...rows[0], secret };
  });
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

/** How many secrets rotated out may sign at once besides the current one: each adds a signature to
 * every delivery's header, and each signs for 24 hours, so rotations beyond it wait. */
export const MAX_RETIRED_SECRETS = 10;

export type RotationOutcome = 'rotated' | 'endpoint_not_found' | { retiredSecretsFullUntil: Date };

/** `secret` signs from now on; the one it replaces keeps signing alongside it for 24 hours, as do
 * those rotated out before it. Rotations of one endpoint serialize on its row, so each retires the
 * secret the one before it set. */
export async function rotateSecret(db: Pool, orgId: string, id: string, secret: string): Promise<RotationOutcome> {
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query<{ secret: string }>('SELECT secret FROM webhook_endpoints WHERE id = $1 AND org_id = $2 FOR UPDATE', [id, orgId]);
    const replaced = rows[0]?.secret;
    if (replaced === undefined) return 'endpoint_not_found';
    await tx.query('DELETE FROM webhook_endpoint_retired_secrets WHERE endpoint_id = $1 AND expires_at <= now()', [id]);
    const { rows: retired } = await tx.query<{ n: number; first_expiry: Date }>(
      'SELECT count(*)::int AS n, min(expires_at) AS first_expiry FROM webhook_endpoint_retired_secrets WHERE endpoint_id = $1',
      [id],
    );
    if (retired[0].n >= MAX_RETIRED_SECRETS) return { retiredSecretsFullUntil: retired[0].first_expiry };
    await tx.query(
      `INSERT INTO webhook_endpoint_retired_secrets (endpoint_id, secret, expires_at) VALUES ($1, $2, now() + interval '24 hours')
       ON CONFLICT (endpoint_id, secret) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
      [id, replaced],
    );
    await tx.query('UPDATE webhook_endpoints SET secret = $2, updated_at = now() WHERE id = $1', [id, secret]);
    return 'rotated';
  });
}

/** Whether the organization's endpoint is enabled; undefined when it has no such endpoint. Held
 * until commit, so a delivery is never written for an endpoint deleted or disabled meanwhile. */
export async function lockEndpoint(tx: PoolClient, orgId: string, id: string): Promise<boolean | undefined> {
  const { rows } = await tx.query<{ enabled: boolean }>('SELECT enabled FROM webhook_endpoints WHERE id = $1 AND org_id = $2 FOR SHARE', [id, orgId]);
  return rows[0]?.enabled;
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

/** Disables the endpoint with its webhook_endpoint.disabled event, once: nothing when it was disabled before. */
export async function disableEndpoint(db: Pool, orgId: string, endpoint: { id: string; url: string }, reason: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    const { rowCount } = await tx.query(
      'UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now() WHERE id = $1 AND enabled',
      [endpoint.id, reason],
    );
    if (rowCount === 0) return; // disabled before
    await recordEventIn(tx, orgId, {
      type: 'webhook_endpoint.disabled',
      at: new Date().toISOString(),
      message: `Webhook endpoint ${endpoint.url} was disabled: ${reason}`,
      data: { endpointId: endpoint.id, url: endpoint.url, reason },
    });
  });
}
