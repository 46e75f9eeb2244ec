// Provider events already acted on (webhook_events: Stripe's, or the sandbox's in the same shape),
// and the newest subscription event applied per organization (subscription_syncs), for
// api/stripeEvents.ts.
import type { Pool } from 'pg';

export async function providerEventSeen(db: Pool, eventId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM webhook_events WHERE id = $1', [eventId]);
  return Boolean(rowCount);
}

export async function recordProviderEvent(db: Pool, eventId: string, type: string): Promise<void> {
  await db.query('INSERT INTO webhook_events (id, type) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [eventId, type]);
}

/** Claims `created` as the newest subscription event for the org; false when a newer one was applied. */
export async function claimNewestSubscriptionEvent(db: Pool, orgId: string, created: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO subscription_syncs (org_id, event_created) VALUES ($1, $2)
     ON CONFLICT (org_id) DO UPDATE SET event_created = EXCLUDED.event_created
     WHERE subscription_syncs.event_created <= EXCLUDED.event_created`,
    [orgId, created],
  );
  return rowCount === 1;
}
