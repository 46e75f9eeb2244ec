// Credit grants (credit_grants): created and voided by ops through the API, expired by the sweep
// (api/grantExpirySweep.ts), spent by record_usage (usage.ts), given back by a usage void
// (usageEvents.ts). Each change is one transaction under
// the organization's balance lock, like every pool change: the grant's remaining, its ledger entry
// (pool 'grant', naming the grant) and balances.grant_credits move together, so the ledger sum of
// each grant is its remaining and the grant pool's is grant_credits. Not a workflow commit: grants
// are none of the workflow's state, and the workflow's commits (commitBilling.ts) carry
// grant_credits over as they read it under the same lock. A change that lowers available goes
// through the crossing rule and, with auto-recharge on, marks the workflow's signal pending as a
// usage debit does (poolChange.ts; the API sends it: crossingSignals.ts).
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { DEFAULT_GRANT_PRIORITY, grantStatus, type CreditGrant, type GrantCategory, type GrantStatus } from '../domain/grants';
import { paidGrantId, type NewEvent } from '../domain/orgBilling';
import { lockBalance, type BalanceRow } from './balances';
import { insertLedgerEntry } from './ledger';
import { commitPoolChange, type PoolCrossing } from './poolChange';
import { inTransaction } from './transaction';

/** The live grants' soonest expiry as json {credits, at} (null: none), for a query over balances `b`. */
export const NEXT_EXPIRY = `(SELECT json_build_object('credits', SUM(g.remaining), 'at', to_char(g.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
   FROM credit_grants g WHERE g.org_id = b.org_id AND g.remaining > 0 AND g.expired_at IS NULL AND g.voided_at IS NULL AND g.expires_at > now()
   GROUP BY g.expires_at ORDER BY g.expires_at LIMIT 1)`;

interface Row {
  id: string;
  name: string;
  category: GrantCategory;
  priority: number;
  credits: number;
  remaining: number;
  expired: number;
  voided: number;
  refunded: number;
  expires_at: Date | null;
  created_at: Date;
  expired_at: Date | null;
  voided_at: Date | null;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function toGrant(row: Row, now = Date.now()): CreditGrant {
  const grant = {
    id: row.id,
    name: row.name,
    category: row.category,
    priority: row.priority,
    credits: row.credits,
    remaining: row.remaining,
    expired: row.expired,
    voided: row.voided,
    refunded: row.refunded,
    expiresAt: iso(row.expires_at),
    createdAt: row.created_at.toISOString(),
    expiredAt: iso(row.expired_at),
    voidedAt: iso(row.voided_at),
  };
  return { ...grant, status: grantStatus(grant, now) };
}

const COLUMNS = 'id, name, category, priority, credits, remaining, expired, voided, refunded, expires_at, created_at, expired_at, voided_at';

export interface NewGrant {
  credits: number;
  name: string;
  category: GrantCategory;
  priority: number;
  expiresAt: string | null;
  idempotencyKey: string | null;
}

/** The balance after a grant change of `delta` credits (poolChange.ts). */
const commitGrantChange = (tx: PoolClient, orgId: string, balance: BalanceRow, delta: number, events: NewEvent[], at: string) =>
  commitPoolChange(tx, orgId, balance, { ...balance.pools, grants: (balance.pools.grants ?? 0) + delta }, events, at);

/**
 * Creates a grant: its credits go to the grant pool with a 'grant' entry and a credits.granted
 * event; like every credit it re-arms the low-balance notice once available is back at or above
 * the threshold. A key seen before answers with its own grant (`created` false), changing nothing.
 */
export async function createGrant(db: Pool, orgId: string, input: NewGrant, at: string): Promise<{ grant: CreditGrant; created: boolean }> {
  return inTransaction(db, async (tx) => {
    const balance = await lockBalance(tx, orgId);
    if (input.idempotencyKey !== null) {
      const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM credit_grants WHERE org_id = $1 AND idempotency_key = $2`, [orgId, input.idempotencyKey]);
      if (rows[0]) return { grant: toGrant(rows[0]), created: false };
    }
    const id = `grant_${randomUUID()}`;
    const { rows } = await tx.query<Row>(
      `INSERT INTO credit_grants (org_id, id, name, category, priority, credits, remaining, expires_at, created_at, idempotency_key)
       VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
      [orgId, id, input.name, input.category, input.priority, input.credits, input.expiresAt, at, input.idempotencyKey],
    );
    await insertLedgerEntry(tx, orgId, { kind: 'grant', pool: 'grant', credits: input.credits, ref: id, grantId: id }, at);
    const grant = toGrant(rows[0]);
    const event: NewEvent = {
      type: 'credits.granted',
      at,
      message: `${input.credits} credits granted (${input.name}).`,
      data: { grantId: id, name: input.name, category: input.category, credits: input.credits, priority: input.priority, expiresAt: input.expiresAt },
    };
    await commitGrantChange(tx, orgId, balance, input.credits, [event], at);
    return { grant, created: true };
  });
}

export async function findGrant(db: Pool, orgId: string, id: string): Promise<CreditGrant | undefined> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM credit_grants WHERE org_id = $1 AND id = $2`, [orgId, id]);
  return rows[0] && toGrant(rows[0]);
}

/** The organization's grants, newest first, optionally of one status (as grantStatus tells it now). */
export async function listGrants(db: Pool, orgId: string, status: GrantStatus | undefined, limit: number): Promise<CreditGrant[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM credit_grants WHERE org_id = $1
       AND CASE $2::text
             WHEN 'voided' THEN voided_at IS NOT NULL
             WHEN 'expired' THEN voided_at IS NULL AND (expired_at IS NOT NULL OR expires_at <= now())
             WHEN 'active' THEN voided_at IS NULL AND expired_at IS NULL AND (expires_at IS NULL OR expires_at > now())
             ELSE true END
     ORDER BY seq DESC LIMIT $3`,
    [orgId, status ?? null, limit],
  );
  return rows.map((row) => toGrant(row));
}

export type VoidOutcome = { grant: CreditGrant; crossing: PoolCrossing | null } | 'not_found' | 'expired';

/**
 * Voids a grant: what remains leaves the grant pool with a 'grant_void' entry and a credits.voided
 * event. Voiding it again answers the voided grant and changes nothing; an expired grant has
 * nothing left to void.
 */
export async function voidGrant(db: Pool, orgId: string, id: string, at: string): Promise<VoidOutcome> {
  return inTransaction(db, async (tx) => {
    const balance = await lockBalance(tx, orgId);
    const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM credit_grants WHERE org_id = $1 AND id = $2`, [orgId, id]);
    if (!rows[0]) return 'not_found';
    const current = toGrant(rows[0]);
    if (current.status === 'voided') return { grant: current, crossing: null };
    if (current.status === 'expired') return 'expired';
    const taken = current.remaining;
    const updated = await tx.query<Row>(
      `UPDATE credit_grants SET voided = remaining, remaining = 0, voided_at = $3 WHERE org_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [orgId, id, at],
    );
    const events: NewEvent[] = [];
    if (taken > 0) {
      await insertLedgerEntry(tx, orgId, { kind: 'grant_void', pool: 'grant', credits: -taken, ref: id, grantId: id }, at);
      events.push({ type: 'credits.voided', at, message: `${taken} credits of grant ${current.name} voided.`, data: { grantId: id, name: current.name, credits: taken } });
    }
    const crossing = await commitGrantChange(tx, orgId, balance, -taken, events, at);
    return { grant: toGrant(updated.rows[0]), crossing };
  });
}

/** Organizations with a grant due to expire at `now`, and the soonest expiry after it (the sweep's next wake-up). */
export async function dueGrantOrgs(db: Pool, now: Date): Promise<{ orgIds: string[]; nextAt: Date | null }> {
  const { rows } = await db.query<{ org_id: string }>(
    'SELECT DISTINCT org_id FROM credit_grants WHERE expires_at <= $1 AND expired_at IS NULL AND voided_at IS NULL',
    [now],
  );
  const next = await db.query<{ at: Date | null }>(
    'SELECT min(expires_at) AS at FROM credit_grants WHERE expires_at > $1 AND expired_at IS NULL AND voided_at IS NULL',
    [now],
  );
  return { orgIds: rows.map((r) => r.org_id), nextAt: next.rows[0].at };
}

/**
 * Expires an organization's grants due at `now`, each once: the grant is marked expired under the
 * balance lock, so a second sweep (in this process or another) finds nothing due. What remains
 * leaves the grant pool with an 'expiry' entry and a credits.expired event.
 */
export async function expireDueGrants(db: Pool, orgId: string, now: Date): Promise<{ expired: number; crossing: PoolCrossing | null }> {
  const at = now.toISOString();
  return inTransaction(db, async (tx) => {
    const balance = await lockBalance(tx, orgId);
    const { rows } = await tx.query<Row>(
      `UPDATE credit_grants SET expired = remaining, remaining = 0, expired_at = $2
       WHERE org_id = $1 AND expires_at <= $2 AND expired_at IS NULL AND voided_at IS NULL
       RETURNING ${COLUMNS}`,
      [orgId, at],
    );
    let total = 0;
    const events: NewEvent[] = [];
    for (const row of rows) {
      if (row.expired === 0) continue;
      total += row.expired;
      await insertLedgerEntry(tx, orgId, { kind: 'expiry', pool: 'grant', credits: -row.expired, ref: row.id, grantId: row.id }, at);
      events.push({
        type: 'credits.expired',
        at,
        message: `${row.expired} credits of grant ${row.name} expired.`,
        data: { grantId: row.id, name: row.name, credits: row.expired, expiresAt: iso(row.expires_at) },
      });
    }
    const crossing = await commitGrantChange(tx, orgId, balance, -total, events, at);
    return { expired: rows.length, crossing };
  });
}

const PAID_GRANT_NAMES = { top_up: 'Top-up', auto_recharge: 'Auto-recharge', allocation: 'Allocation' } as const;

/** A voided usage event's part back to its live grant; the caller holds the balance row, writes the entry and moves grant_credits. */
export async function returnToGrant(tx: PoolClient, orgId: string, grantId: string, credits: number): Promise<void> {
  await tx.query('UPDATE credit_grants SET remaining = remaining + $3 WHERE org_id = $1 AND id = $2', [orgId, grantId, credits]);
}

/** The grants of `grantIds` still live at `at` (not expired, voided or past their expiry): those a void may give back to. */
export async function liveGrantIds(tx: PoolClient, orgId: string, grantIds: string[], at: string): Promise<Set<string>> {
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM credit_grants WHERE org_id = $1 AND id = ANY ($2::text[])
       AND expired_at IS NULL AND voided_at IS NULL AND (expires_at IS NULL OR expires_at > $3)`,
    [orgId, grantIds, at],
  );
  return new Set(rows.map((g) => g.id));
}

/**
 * A paid grant: a payment's credits when purchased credits expire (PURCHASED_CREDITS_EXPIRE_AFTER_DAYS),
 * created in the commit that writes their ledger entry (the caller inserts the entry first: once).
 */
export async function insertPaidGrant(tx: PoolClient, orgId: string, credit: { kind: keyof typeof PAID_GRANT_NAMES; credits: number; ref: string; expiresAt: string }, at: string): Promise<void> {
  await tx.query(
    `INSERT INTO credit_grants (org_id, id, name, category, priority, credits, remaining, expires_at, created_at)
     VALUES ($1, $2, $3, 'paid', $4, $5, $5, $6, $7)`,
    [orgId, paidGrantId(credit.ref), `${PAID_GRANT_NAMES[credit.kind]} ${credit.ref}`, DEFAULT_GRANT_PRIORITY, credit.credits, credit.expiresAt, at],
  );
}

/**
 * A refund or dispute of a payment whose credits became a paid grant: up to `credits` taken from
 * what remains of it (not expired or voided), with its entry; answers what was taken (the rest is
 * the wallet's to give). The caller holds the balance row and moves grant_credits.
 */
export async function takeFromPaidGrant(tx: PoolClient, orgId: string, paymentId: string, credits: number, entry: { kind: 'refund' | 'dispute'; ref: string }, at: string): Promise<number> {
  const grantId = paidGrantId(paymentId);
  const { rows } = await tx.query<{ remaining: number }>(
    'SELECT remaining FROM credit_grants WHERE org_id = $1 AND id = $2 AND expired_at IS NULL AND voided_at IS NULL FOR UPDATE',
    [orgId, grantId],
  );
  const taken = Math.min(rows[0]?.remaining ?? 0, credits);
  if (taken <= 0) return 0;
  if (!(await insertLedgerEntry(tx, orgId, { kind: entry.kind, pool: 'grant', credits: -taken, ref: entry.ref, grantId }, at))) return 0;
  await tx.query('UPDATE credit_grants SET remaining = remaining - $3, refunded = refunded + $3 WHERE org_id = $1 AND id = $2', [orgId, grantId, taken]);
  return taken;
}
