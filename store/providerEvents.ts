// Provider events claimed or acted on (webhook_events: Stripe's, or the sandbox's in the same shape),
// and the newest subscription event applied per organization (subscription_syncs), for
// api/stripeEvents.ts.
import type { Pool } from 'pg';

/** Where a provider event stands for a delivery that asks to act on it. */
export type ProviderEventClaim = 'claimed' | 'acted_on' | 'in_progress';

/**
 * Claims the event id before acting on it, so concurrent deliveries of one event act once. A claim
 * left by a process that died lapses after `leaseMs`, and a later delivery claims it again.
 */
export async function claimProviderEvent(db: Pool, eventId: string, type: string, leaseMs: number): Promise<ProviderEventClaim> {
  const { rows } = await db.query<{ claimed: boolean; acted_on: boolean }>(
    `WITH claim AS (
       INSERT INTO webhook_events (id, type, claimed_until) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (id) DO UPDATE SET claimed_until = EXCLUDED.claimed_until, received_at = now()
         WHERE webhook_events.claimed_until IS NOT NULL AND webhook_events.claimed_until < now()
       RETURNING 1
     )
     SELECT EXISTS (SELECT 1 FROM claim) AS claimed,
            EXISTS (SELECT 1 FROM webhook_events WHERE id = $1 AND claimed_until IS NULL) AS acted_on`,
    [eventId, type, leaseMs],
  );
  return rows[0].claimed ? 'claimed' : rows[0].acted_on ? 'acted_on' : 'in_progress';
}

/** The claimed event was acted on: later deliveries are duplicates. */
export async function markProviderEventActedOn(db: Pool, eventId: string): Promise<void> {
  await db.query('UPDATE webhook_events SET claimed_until = NULL WHERE id = $1', [eventId]);
}

/** Acting on the claimed event failed: the provider's next delivery acts on it again. */
export async function releaseProviderEvent(db: Pool, eventId: string): Promise<void> {
  await db.query('DELETE FROM webhook_events WHERE id = $1 AND claimed_until IS NOT NULL', [eventId]);
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
