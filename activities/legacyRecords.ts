// The previous design's workflows commit their records (usage, ledger entries, events) to PostgreSQL in one transaction, until they hand over.
import type { Pool, PoolClient } from 'pg';
import type { CommittableView } from '../domain/allowanceView';
import type { OutboxRecord } from '../domain/state';
import { inTransaction } from '../ledger/transaction';

export interface AppendRecordsInput {
  orgId: string;
  records: OutboxRecord[];
  /** The organization's allowance view once these records are applied; given when they empty the outbox. */
  view?: CommittableView;
}

export interface AppendRecordsResult {
  /** Usage events already applied under another seq (redelivered beyond the workflow's window). */
  duplicateUsageIds: string[];
}

type UsageRecord = Extract<OutboxRecord, { type: 'usage' }>;
type LedgerRecord = Extract<OutboxRecord, { type: 'ledger' }>;
type EventRecord = Extract<OutboxRecord, { type: 'event' }>;

interface LedgerRow {
  at: string;
  kind: string;
  pool: string;
  credits: number;
  ref: string;
}

async function insertUsage(tx: PoolClient, orgId: string, usage: UsageRecord[]): Promise<{ applied: UsageRecord[]; duplicates: string[] }> {
  if (usage.length === 0) return { applied: [], duplicates: [] };
  const ids = usage.map((u) => u.id);
  await tx.query(
    `INSERT INTO usage_events (org_id, id, seq, agent_id, meter, quantity, credits, occurred_at, recorded_at)
     SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::timestamptz[], $9::timestamptz[])
     ON CONFLICT (org_id, id) DO NOTHING`,
    [
      orgId,
      ids,
      usage.map((u) => u.seq),
      usage.map((u) => u.agentId),
      usage.map((u) => u.meter),
      usage.map((u) => u.quantity),
      usage.map((u) => u.credits),
      usage.map((u) => u.occurredAt),
      usage.map((u) => u.at),
    ],
  );
  const { rows } = await tx.query<{ id: string; seq: string }>(
    'SELECT id, seq FROM usage_events WHERE org_id = $1 AND id = ANY($2::text[])',
    [orgId, ids],
  );
  const storedSeq = new Map(rows.map((r) => [r.id, Number(r.seq)]));
  const applied = usage.filter((u) => storedSeq.get(u.id) === u.seq);
  const duplicates = usage.filter((u) => storedSeq.get(u.id) !== u.seq).map((u) => u.id);
  return { applied, duplicates };
}

function usageLedgerRows(applied: UsageRecord[]): LedgerRow[] {
  const rows: LedgerRow[] = [];
  for (const u of applied) {
    if (u.plan > 0) rows.push({ at: u.at, kind: 'usage', pool: 'plan', credits: -u.plan, ref: u.id });
    if (u.topUp > 0) rows.push({ at: u.at, kind: 'usage', pool: 'top_up', credits: -u.topUp, ref: u.id });
  }
  return rows;
}

async function insertLedger(tx: PoolClient, orgId: string, rows: LedgerRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO ledger_entries (org_id, at, kind, pool, credits, ref)
     SELECT $1, * FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::bigint[], $6::text[])
     ON CONFLICT (org_id, kind, pool, ref) DO NOTHING`,
    [orgId, rows.map((r) => r.at), rows.map((r) => r.kind), rows.map((r) => r.pool), rows.map((r) => r.credits), rows.map((r) => r.ref)],
  );
}

async function insertEvents(tx: PoolClient, orgId: string, events: EventRecord[]): Promise<void> {
  if (events.length === 0) return;
  await tx.query(
    `INSERT INTO events (org_id, seq, type, at, message, data)
     SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::text[], $6::jsonb[])
     ON CONFLICT (org_id, seq) DO NOTHING`,
    [
      orgId,
      events.map((e) => e.seq),
      events.map((e) => e.eventType),
      events.map((e) => e.at),
      events.map((e) => e.message),
      events.map((e) => JSON.stringify(e.data)),
    ],
  );
}

async function upsertView(tx: PoolClient, orgId: string, { version, usageSeq, view }: CommittableView): Promise<void> {
  await tx.query(
    `INSERT INTO allowance_views (org_id, plan_remaining, top_up, subscription_active, agents, usage_seq, version, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now())
     ON CONFLICT (org_id) DO UPDATE SET plan_remaining = $2, top_up = $3, subscription_active = $4, agents = $5, usage_seq = $6, version = $7, updated_at = now()
     WHERE allowance_views.version <= $7`,
    [orgId, view.pools.planRemaining, view.pools.topUp, view.subscriptionActive, JSON.stringify(view.agents), usageSeq, version],
  );
}

/** Idempotent: a retry of the same records inserts nothing new and reports the same duplicates. */
export async function appendRecords(db: Pool, { orgId, records, view }: AppendRecordsInput): Promise<AppendRecordsResult> {
  const usage = records.filter((r): r is UsageRecord => r.type === 'usage');
  const ledger = records.filter((r): r is LedgerRecord => r.type === 'ledger');
  const events = records.filter((r): r is EventRecord => r.type === 'event');
  return inTransaction(db, async (tx) => {
    const { applied, duplicates } = await insertUsage(tx, orgId, usage);
    await insertLedger(tx, orgId, [...usageLedgerRows(applied), ...ledger]);
    await insertEvents(tx, orgId, events);
    if (view) await upsertView(tx, orgId, view);
    return { duplicateUsageIds: duplicates };
  });
}
