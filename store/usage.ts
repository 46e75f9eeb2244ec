// Usage events (usage_events): the usage hot path, one request, one PostgreSQL statement (two when
// the batch has ids recorded before: the first, taking them all as new, is undone and says so). The
// record_usage function (migrations 7, 11, 14 and 16) guarantees, in one transaction:
// - the organization's balance row is locked first (FOR UPDATE): requests for one organization
//   serialize there, and a missing row is an error (BL001);
// - events are deduplicated by (org, id), within the batch and against every earlier batch (voided
//   ones included); only the events inserted now are debited;
// - each new event is split plan first, as far as its agent is under its monthly limit (an agent
//   at its limit spends the wallet only; an event crossing it takes the part up to it from the
//   plan), then the live credit grants in spend order (priority, soonest expiry, creation; one
//   entry per grant touched, naming it; a grant past its expiry is not spent), then the wallet
//   (which may go negative), with its ledger entries, its agent's spend for
//   the period, and the balance updated by the same amounts: the ledger sum of each pool stays
//   equal to the balance, each grant's to its remaining (domain/pools.ts splitDebit and
//   domain/grants.ts splitAcrossGrants mirror the split for the simulation;
//   test/store/debitSplit.test.ts holds them together), and the day's usage (daily_usage) added by
//   the same amounts;
// - the crossing rule is note_balance_low's (balances.ts): a batch that leaves available below the
//   threshold for the first time since it was last at or above it writes balance.low and, with
//   auto-recharge on, marks the workflow's signal pending under a new generation (pendingSignals).
import type { Pool } from 'pg';
import type { PricedUsageEvent } from '../domain/usage';

export interface RecordedUsage {
  /** Events recorded now; ids seen before (in this batch or earlier) are not counted again. */
  recorded: number;
  availableCredits: number;
  /** The event whose debit took available below the threshold, when this batch crossed it. */
  crossedBy: string | null;
  /** The crossing must reach the organization's workflow (auto-recharge is on). */
  signalWorkflow: boolean;
  /** The generation of the pending signal: clearing it clears this crossing's and no later one's. */
  signalGeneration: number;
}

export async function recordUsage(db: Pool, orgId: string, events: PricedUsageEvent[]): Promise<RecordedUsage> {
  try {
    return await callRecordUsage(db, orgId, events, false);
  } catch (err) {
    // Some ids were recorded before (a retry): nothing was written; the batch again, each id looked up.
    if ((err as { code?: string }).code !== SEEN_BEFORE) throw err;
    return callRecordUsage(db, orgId, events, true);
  }
}

/** record_usage's answer when a batch taken as new has ids recorded before. */
const SEEN_BEFORE = 'BL002';

async function callRecordUsage(db: Pool, orgId: string, events: PricedUsageEvent[], seenBefore: boolean): Promise<RecordedUsage> {
  // A named statement: each connection parses and plans the call once.
  const { rows } = await db.query<{ recorded: number; available_after: number; crossed_by: string | null; signal_workflow: boolean; signal_generation: number }>({
    name: 'record-usage',
    text: 'SELECT * FROM record_usage($1, $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::timestamptz[], $8)',
    values: [
      orgId,
      events.map((e) => e.id),
      events.map((e) => e.agentId),
      events.map((e) => e.meter),
      events.map((e) => e.quantity),
      events.map((e) => e.credits),
      events.map((e) => e.occurredAt),
      seenBefore,
    ],
  });
  const row = rows[0];
  return { recorded: row.recorded, availableCredits: row.available_after, crossedBy: row.crossed_by, signalWorkflow: row.signal_workflow, signalGeneration: row.signal_generation };
}
