// Usage events as recorded (usage_events, written by record_usage: usage.ts), listed with their
// split (found through their requests, usage_requests), and voided. A void is one transaction under
// the organization's balance lock, like every pool change: the event's usage entries are read
// (ledger.ts: its request's, or, recorded before migration 17, postings in a ledger id range),
// each pool gets back what domain/usageCorrection.ts voidReturn says with a 'usage_void' entry
// (ref: the event's id) and, for a grant, its remaining (grants.ts); the agent's spend of the
// event's period (agents.ts) and the day's usage (dailyUsage.ts) lose the event; the event is
// marked voided; and the balance moves by the same amounts (poolChange.ts), so the ledger sum of
// each pool stays its balance. The row stays: its id is used for good (record_usage skips ids it has).
import type { Pool, QueryResult } from 'pg';
import type { NewEvent } from '../domain/orgBilling';
import { correctionWindowOpen, grantCredits, returnedCredits, voidReturn, type UsageEvent, type VoidReturn } from '../domain/usageCorrection';
import { takeBackSpend } from './agents';
import { lockBalance } from './balances';
import { takeOutOfDay } from './dailyUsage';
import { liveGrantIds, returnToGrant } from './grants';
import { insertLedgerEntry, readUsageDebit } from './ledger';
import { commitPoolChange } from './poolChange';
import { inTransaction } from './transaction';

interface Row {
  id: string;
  agent_id: string;
  meter: string;
  quantity: number;
  credits: number;
  occurred_at: Date;
  recorded_at: Date;
  period: number | null;
  plan_credits: number;
  grant_credits: number;
  wallet_credits: number;
  ledger_from: number | null;
  ledger_to: number | null;
  request_seq: number | null;
  voided_at: Date | null;
  void_reason: string | null;
  /** occurred_at in microseconds since the epoch: the page cursor's first half. */
  occurred_us: string;
}

const COLUMNS = `id, agent_id, meter, quantity, credits, occurred_at, recorded_at, period, plan_credits, grant_credits, wallet_credits, ledger_from, ledger_to, request_seq,
  voided_at, void_reason, (extract(epoch FROM occurred_at) * 1000000)::bigint::text AS occurred_us`;

const toEvent = (row: Row): UsageEvent => ({
  id: row.id,
  agentId: row.agent_id,
  meter: row.meter,
  quantity: row.quantity,
  credits: row.credits,
  occurredAt: row.occurred_at.toISOString(),
  recordedAt: row.recorded_at.toISOString(),
  split: { plan: row.plan_credits, grants: row.grant_credits, wallet: row.wallet_credits },
  status: row.voided_at === null ? 'recorded' : 'voided',
  voidedAt: row.voided_at === null ? null : row.voided_at.toISOString(),
  voidReason: row.void_reason,
});

/** Where a page ends: the last event's occurredAt (µs) and id, newest first. */
export interface UsageCursor {
  occurredUs: string;
  id: string;
}

export const encodeUsageCursor = (c: UsageCursor): string => Buffer.from(`${c.occurredUs} ${c.id}`).toString('base64url');

/** The cursor a page gave, or undefined when `text` is none. */
export function decodeUsageCursor(text: string): UsageCursor | undefined {
  const match = /^(-?\d{1,17}) (\S{1,128})$/.exec(Buffer.from(text, 'base64url').toString());
  return match ? { occurredUs: match[1], id: match[2] } : undefined;
}

export interface UsageFilter {
  agentId?: string;
  meter?: string;
  /** occurredAt at or after. */
  from?: string;
  /** occurredAt before. */
  to?: string;
}

/** The instant `param` (bigint microseconds since the epoch) names, exactly: to_timestamp goes through a double. */
const AT_US = (param: string) => `('epoch'::timestamptz + ${param}::bigint * interval '1 microsecond')`;

/** The organization's widest request span; an organization without a balance row (none since migration 17 can record usage) has it from its requests. */
const SPREAD = `COALESCE((SELECT usage_spread FROM balances WHERE org_id = $1), (SELECT max(occurred_max - occurred_min) FROM usage_requests WHERE org_id = $1))`;

/** A request as a page reads it: its latest occurredAt as text (passed back exactly) and in microseconds. */
type RequestRow = { seq: number; occurred_max: string; max_us: string };

/** Requests read in the first step of a page; each further step reads twice as many as the one before. */
const FIRST_STEP_REQUESTS = 4;

/**
 * A page of the organization's usage events, newest occurredAt first (ties: id, descending). Events
 * are found through their requests (usage_requests), read newest latest-occurredAt first from where
 * one could hold an event of the page (the cursor, or `to`, plus the organization's widest request
 * span): after each step, the page is the best `limit` events of the requests read so far, and it is
 * final once its last event occurred after every request not read yet could reach.
 */
export async function listUsageEvents(db: Pool, orgId: string, filter: UsageFilter, limit: number, cursor: UsageCursor | undefined): Promise<{ usageEvents: UsageEvent[]; nextCursor: string | null }> {
  const before = cursor?.occurredUs ?? null;
  const seqs: number[] = [];
  let after: { occurredMax: string; seq: number } | null = null;
  let rows: Row[] = [];
  for (let step = FIRST_STEP_REQUESTS; ; step *= 2) {
    const requests: QueryResult<RequestRow> = await db.query<RequestRow>(
      `SELECT seq, occurred_max::text, (extract(epoch FROM occurred_max) * 1000000)::bigint::text AS max_us FROM usage_requests
       WHERE org_id = $1
         AND ($2::timestamptz IS NULL OR occurred_max >= $2) AND ($3::timestamptz IS NULL OR occurred_min < $3)
         AND ($3::timestamptz IS NULL OR occurred_max < $3 + ${SPREAD})
         AND ($4::bigint IS NULL OR (occurred_min <= ${AT_US('$4')} AND occurred_max <= ${AT_US('$4')} + ${SPREAD}))
         AND ($5::timestamptz IS NULL OR (occurred_max, seq) < ($5, $6::bigint))
       ORDER BY occurred_max DESC, seq DESC LIMIT $7`,
      [orgId, filter.from ?? null, filter.to ?? null, before, after?.occurredMax ?? null, after?.seq ?? null, step + 1],
    );
    const read: RequestRow[] = requests.rows.slice(0, step);
    const next = requests.rows[step];
    seqs.push(...read.map((r) => r.seq));
    if (read.length) {
      ({ rows } = await db.query<Row>(
        `SELECT ${COLUMNS} FROM usage_events
         WHERE org_id = $1 AND id IN (SELECT unnest(event_ids) FROM usage_requests WHERE org_id = $1 AND seq = ANY ($2::bigint[]))
           AND ($3::text IS NULL OR agent_id = $3) AND ($4::text IS NULL OR meter = $4)
           AND ($5::timestamptz IS NULL OR occurred_at >= $5) AND ($6::timestamptz IS NULL OR occurred_at < $6)
           AND ($7::bigint IS NULL OR (occurred_at, id) < (${AT_US('$7')}, $8::text))
         ORDER BY occurred_at DESC, id DESC LIMIT $9`,
        [orgId, seqs, filter.agentId ?? null, filter.meter ?? null, filter.from ?? null, filter.to ?? null, before, cursor?.id ?? null, limit + 1],
      ));
    }
    if (!next || (rows.length > limit && BigInt(rows[limit].occurred_us) > BigInt(next.max_us))) break;
    const lastRead = read[read.length - 1];
    after = { occurredMax: lastRead.occurred_max, seq: lastRead.seq };
  }
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { usageEvents: page.map(toEvent), nextCursor: rows.length > limit ? encodeUsageCursor({ occurredUs: last.occurred_us, id: last.id }) : null };
}

export type UsageVoidOutcome = { usageEvent: UsageEvent; returned: VoidReturn | null } | 'not_found' | 'window_closed';

/**
 * Voids a usage event (see the file's head). A voided event answers as it is, with `returned` null:
 * nothing changes twice. Past the correction window (`windowDays` after occurredAt) it is refused.
 */
export async function voidUsageEvent(db: Pool, orgId: string, id: string, reason: string, windowDays: number, now: Date): Promise<UsageVoidOutcome> {
  const at = now.toISOString();
  return inTransaction(db, async (tx) => {
    const balance = await lockBalance(tx, orgId);
    const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM usage_events WHERE org_id = $1 AND id = $2`, [orgId, id]);
    if (!rows[0]) return 'not_found';
    const event = toEvent(rows[0]);
    if (event.status === 'voided') return { usageEvent: event, returned: null };
    if (!correctionWindowOpen(event.occurredAt, now.getTime(), windowDays)) return 'window_closed';

    const debit = await readUsageDebit(tx, orgId, id, { requestSeq: rows[0].request_seq, from: rows[0].ledger_from, to: rows[0].ledger_to });
    const returned = voidReturn(debit, {
      samePeriod: rows[0].period === balance.period,
      planRoom: balance.subscriptionActive ? balance.planGranted - balance.pools.planRemaining : 0,
      liveGrantIds: await liveGrantIds(tx, orgId, debit.grants.map((part) => part.grantId), at),
    });

    if (returned.plan > 0) await insertLedgerEntry(tx, orgId, { kind: 'usage_void', pool: 'plan', credits: returned.plan, ref: id }, at);
    for (const part of returned.grants) {
      await insertLedgerEntry(tx, orgId, { kind: 'usage_void', pool: 'grant', credits: part.credits, ref: id, grantId: part.grantId }, at);
      await returnToGrant(tx, orgId, part.grantId, part.credits);
    }
    if (returned.wallet > 0) await insertLedgerEntry(tx, orgId, { kind: 'usage_void', pool: 'wallet', credits: returned.wallet, ref: id }, at);
    if (rows[0].period !== null) await takeBackSpend(tx, orgId, rows[0].period, event.agentId, event.credits);
    await takeOutOfDay(tx, orgId, event.recordedAt, event.split);
    const voided = await tx.query<Row>(`UPDATE usage_events SET voided_at = $3, void_reason = $4 WHERE org_id = $1 AND id = $2 RETURNING ${COLUMNS}`, [orgId, id, at, reason]);

    const credits = returnedCredits(returned);
    const usageVoided: NewEvent = {
      type: 'usage.voided',
      at,
      message: `Usage event ${id} voided: ${credits} credits back (${reason}).`,
      data: { usageEventId: id, agentId: event.agentId, meter: event.meter, credits: event.credits, reason, returned, returnedCredits: credits },
    };
    const pools = {
      planRemaining: balance.pools.planRemaining + returned.plan,
      grants: (balance.pools.grants ?? 0) + grantCredits(returned.grants),
      wallet: balance.pools.wallet + returned.wallet,
    };
    // Available only rises: the crossing can re-arm, never fire.
    await commitPoolChange(tx, orgId, balance, pools, [usageVoided], at);
    return { usageEvent: toEvent(voided.rows[0]), returned };
  });
}
