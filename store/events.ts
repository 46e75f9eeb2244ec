// An organization's events (events), numbered per organization under its balance row's lock
// (balances.event_seq). Each inserted event fires the trigger of migration 5, which writes its
// deliveries in the same transaction (deliveries.ts).
import type { Pool, PoolClient } from 'pg';
import type { NewEvent } from '../domain/orgBilling';
import { lockBalance } from './balances';
import { inTransaction } from './transaction';

/** Inserts the events after `lastSeq`; returns the new last seq. The caller holds the balance row. */
export async function appendEvents(tx: PoolClient, orgId: string, lastSeq: number, events: NewEvent[]): Promise<number> {
  if (events.length === 0) return lastSeq;
  await tx.query(
    `INSERT INTO events (org_id, seq, type, at, message, data, key)
     SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::text[], $6::jsonb[], $7::text[])
     ON CONFLICT DO NOTHING`,
    [
      orgId,
      events.map((_, i) => lastSeq + i + 1),
      events.map((e) => e.type),
      events.map((e) => e.at),
      events.map((e) => e.message),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => e.key ?? null),
    ],
  );
  return lastSeq + events.length;
}

/** One event of an organization, inside the caller's transaction (under the balance row's lock). */
export async function recordEventIn(tx: PoolClient, orgId: string, event: NewEvent): Promise<void> {
  const { eventSeq } = await lockBalance(tx, orgId);
  await appendEventAfter(tx, orgId, eventSeq, event);
}

/** Numbers the event after `eventSeq` (read under the balance row's lock) and moves the row's seq on. */
async function appendEventAfter(tx: PoolClient, orgId: string, eventSeq: number, event: NewEvent): Promise<void> {
  await tx.query('UPDATE balances SET event_seq = $2 WHERE org_id = $1', [orgId, await appendEvents(tx, orgId, eventSeq, [event])]);
}

export interface ListedEvent {
  id: string;
  type: string;
  at: Date;
  message: string;
  data: Record<string, unknown>;
}

/** A page of the events, newest first; `cursor` is the id (seq) of the last event of the previous page. */
export async function listEvents(db: Pool, orgId: string, limit: number, cursor: string | undefined): Promise<{ events: ListedEvent[]; nextCursor: string | null }> {
  const { rows } = await db.query<ListedEvent>(
    `SELECT seq::text AS id, type, at, message, data FROM events
     WHERE org_id = $1 AND ($2::bigint IS NULL OR seq < $2) ORDER BY events.seq DESC LIMIT $3`,
    [orgId, cursor ?? null, limit + 1],
  );
  const events = rows.slice(0, limit);
  return { events, nextCursor: rows.length > limit ? events[events.length - 1].id : null };
}

/** Records a keyed event unless the organization has one with its key: true when this call wrote it.
 * Checked under the balance row's lock, so concurrent callers write it once and leave no gap in seq. */
export async function recordEventOnce(db: Pool, orgId: string, event: NewEvent & { key: string }): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const { eventSeq } = await lockBalance(tx, orgId);
    const { rowCount } = await tx.query('SELECT 1 FROM events WHERE org_id = $1 AND key = $2', [orgId, event.key]);
    if (rowCount) return false;
    await appendEventAfter(tx, orgId, eventSeq, event);
    return true;
  });
}
