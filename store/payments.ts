// Payments (payments, payment_refunds, payment_dispute_changes, receipt_counters): written by the
// paying organization's workflow commits (commitBilling.ts) under its balance row's lock, read by
// the API (the list, a receipt) and by the provider webhook (which payment an intent is).
import type { Pool, PoolClient } from 'pg';
import type { PaymentKind } from '../domain/payments';
import {
  disputeOutcome,
  receiptNumber,
  refundCreditsFor,
  type AppliedPaymentChange,
  type ChargeStatus,
  type PaymentChange,
  type PaymentStatus,
  type PaymentUpdate,
  type StoredPayment,
} from '../domain/paymentRecords';

interface Row {
  org_id: string;
  id: string;
  seq: string;
  kind: PaymentKind;
  credits: number;
  amount_cents: number;
  price_per_1000_cents: number;
  status: ChargeStatus;
  payment_intent_id: string | null;
  card_brand: string | null;
  card_last4: string | null;
  sub_account_id: string | null;
  created_at: Date;
  settled_at: Date | null;
  failure_message: string | null;
  receipt_number: string | null;
  provider_receipt_url: string | null;
  refunded_cents: number;
  refunded_credits: number;
  dispute_id: string | null;
  dispute_status: StoredPayment['disputeStatus'];
  disputed_credits: number;
}

export interface ListedPayment extends StoredPayment {
  /** Orders the list; the cursor of the next page is the last payment's id. */
  seq: string;
}

/** Every column, with seq as text (a bigint). */
const COLUMNS = `org_id, id, seq::text AS seq, kind, credits, amount_cents, price_per_1000_cents, status, payment_intent_id, card_brand, card_last4,
  sub_account_id, created_at, settled_at, failure_message, receipt_number, provider_receipt_url, refunded_cents, refunded_credits, dispute_id,
  dispute_status, disputed_credits`;

const toPayment = (row: Row): ListedPayment => ({
  orgId: row.org_id,
  id: row.id,
  seq: row.seq,
  kind: row.kind,
  credits: Number(row.credits),
  amountCents: Number(row.amount_cents),
  pricePer1000CreditsCents: Number(row.price_per_1000_cents),
  status: row.status,
  paymentIntentId: row.payment_intent_id,
  card: row.card_brand && row.card_last4 ? { brand: row.card_brand, last4: row.card_last4 } : null,
  subAccountId: row.sub_account_id,
  createdAt: row.created_at.toISOString(),
  settledAt: row.settled_at?.toISOString() ?? null,
  failureMessage: row.failure_message,
  receiptNumber: row.receipt_number,
  providerReceiptUrl: row.provider_receipt_url,
  refundedCents: Number(row.refunded_cents),
  refundedCredits: Number(row.refunded_credits),
  disputeId: row.dispute_id,
  disputeStatus: row.dispute_status,
  disputedCredits: Number(row.disputed_credits),
});

/**
 * Writes the payments a commit changed. A settled charge keeps its status (a late write cannot
 * undo it), and details once known stay. A payment that succeeds takes the organization's next
 * receipt number here, once: the caller holds the balance row's lock, so numbers have no gaps.
 */
export async function upsertPayments(tx: PoolClient, orgId: string, payments: PaymentUpdate[]): Promise<void> {
  for (const p of payments) {
    const { rows } = await tx.query<{ status: ChargeStatus; receipt_number: string | null }>(
      `INSERT INTO payments (org_id, id, kind, credits, amount_cents, price_per_1000_cents, status, payment_intent_id, card_brand, card_last4,
         sub_account_id, created_at, settled_at, failure_message, provider_receipt_url)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (org_id, id) DO UPDATE SET
         status = CASE WHEN payments.status IN ('succeeded', 'failed') THEN payments.status ELSE EXCLUDED.status END,
         payment_intent_id = COALESCE(payments.payment_intent_id, EXCLUDED.payment_intent_id),
         card_brand = COALESCE(EXCLUDED.card_brand, payments.card_brand),
         card_last4 = COALESCE(EXCLUDED.card_last4, payments.card_last4),
         settled_at = COALESCE(payments.settled_at, EXCLUDED.settled_at),
         failure_message = COALESCE(payments.failure_message, EXCLUDED.failure_message),
         provider_receipt_url = COALESCE(payments.provider_receipt_url, EXCLUDED.provider_receipt_url)
       RETURNING status, receipt_number`,
      [
        orgId,
        p.id,
        p.kind,
        p.credits,
        p.amountCents,
        p.pricePer1000CreditsCents,
        p.status,
        p.paymentIntentId,
        p.card?.brand ?? null,
        p.card?.last4 ?? null,
        p.subAccountId,
        p.createdAt,
        p.settledAt,
        p.failureMessage,
        p.providerReceiptUrl,
      ],
    );
    if (rows[0].status === 'succeeded' && rows[0].receipt_number === null) await assignReceiptNumber(tx, orgId, p.id);
  }
}

async function assignReceiptNumber(tx: PoolClient, orgId: string, paymentId: string): Promise<void> {
  const { rows } = await tx.query<{ last_number: string }>(
    `INSERT INTO receipt_counters (org_id, last_number) VALUES ($1, 1)
     ON CONFLICT (org_id) DO UPDATE SET last_number = receipt_counters.last_number + 1 RETURNING last_number`,
    [orgId],
  );
  await tx.query('UPDATE payments SET receipt_number = $3 WHERE org_id = $1 AND id = $2', [orgId, paymentId, receiptNumber(orgId, Number(rows[0].last_number))]);
}

/** A wallet movement a payment change asks for: on the paying organization, or on the sub-account an allocation credited. */
export interface WalletMove {
  orgId: string;
  /** The payment whose credits move back: its paid grant gives first (store/commitBilling.ts). */
  paymentId: string;
  kind: 'refund' | 'dispute' | 'dispute_reversal';
  credits: number;
  ref: string;
}

/**
 * Applies the refunds and dispute changes of a commit to their payments, each once (by refund id,
 * by dispute id and status), bounded by domain/paymentRecords.ts: never more credits back than the
 * payment added. `move` writes the ledger entry and moves the wallet, in this transaction. Changes
 * for an unknown or unsettled payment are skipped. Returns what was applied.
 */
export async function applyPaymentChanges(
  tx: PoolClient,
  orgId: string,
  version: number,
  changes: PaymentChange[],
  at: string,
  move: (m: WalletMove) => Promise<void>,
): Promise<AppliedPaymentChange[]> {
  const applied: AppliedPaymentChange[] = [];
  for (const change of changes) {
    const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM payments WHERE org_id = $1 AND id = $2 AND status = 'succeeded' FOR UPDATE`, [orgId, change.paymentId]);
    if (!rows[0]) continue;
    const payment = toPayment(rows[0]);
    const target = payment.subAccountId ?? orgId;
    if (change.type === 'refund') {
      const cents = Math.min(change.amountCents, payment.amountCents - payment.refundedCents);
      const credits = refundCreditsFor(payment, change.amountCents, change.credits);
      const { rowCount } = await tx.query(
        `INSERT INTO payment_refunds (org_id, refund_id, payment_id, amount_cents, credits, version, at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (org_id, refund_id) DO NOTHING`,
        [orgId, change.refundId, payment.id, cents, credits, version, at],
      );
      if (rowCount === 0) continue; // applied before, whoever reported it
      await tx.query('UPDATE payments SET refunded_cents = refunded_cents + $3, refunded_credits = refunded_credits + $4 WHERE org_id = $1 AND id = $2', [orgId, payment.id, cents, credits]);
      if (credits > 0) await move({ orgId: target, paymentId: payment.id, kind: 'refund', credits: -credits, ref: change.refundId });
      applied.push({ paymentId: payment.id, kind: 'refund', ref: change.refundId, credits: -credits, amountCents: cents });
      continue;
    }
    const outcome = disputeOutcome(payment, change.disputeId, change.status);
    if (!outcome) continue;
    await tx.query('UPDATE payments SET dispute_id = $3, dispute_status = $4, disputed_credits = $5 WHERE org_id = $1 AND id = $2', [
      orgId,
      payment.id,
      outcome.next.disputeId,
      outcome.next.disputeStatus,
      outcome.next.disputedCredits,
    ]);
    const kind = outcome.credits > 0 ? 'dispute_reversal' : change.status === 'lost' && outcome.credits === 0 ? 'dispute_lost' : 'dispute';
    await tx.query('INSERT INTO payment_dispute_changes (org_id, dispute_id, status, payment_id, credits, version) VALUES ($1, $2, $3, $4, $5, $6)', [
      orgId,
      change.disputeId,
      change.status,
      payment.id,
      outcome.credits,
      version,
    ]);
    if (outcome.credits !== 0) await move({ orgId: target, paymentId: payment.id, kind: kind === 'dispute_reversal' ? 'dispute_reversal' : 'dispute', credits: outcome.credits, ref: change.disputeId });
    applied.push({ paymentId: payment.id, kind, ref: change.disputeId, credits: outcome.credits, amountCents: payment.amountCents });
  }
  return applied;
}

/** What the commit of `version` applied, for a retry of it (which changes nothing itself). */
export async function appliedInCommit(db: PoolClient, orgId: string, version: number): Promise<AppliedPaymentChange[]> {
  const { rows } = await db.query<{ payment_id: string; kind: AppliedPaymentChange['kind']; ref: string; credits: string; amount_cents: string }>(
    `SELECT payment_id, 'refund' AS kind, refund_id AS ref, -credits AS credits, amount_cents FROM payment_refunds WHERE org_id = $1 AND version = $2
     UNION ALL
     SELECT c.payment_id, CASE WHEN c.credits > 0 THEN 'dispute_reversal' WHEN c.status = 'lost' AND c.credits = 0 THEN 'dispute_lost' ELSE 'dispute' END,
            c.dispute_id, c.credits, p.amount_cents
     FROM payment_dispute_changes c JOIN payments p ON p.org_id = c.org_id AND p.id = c.payment_id WHERE c.org_id = $1 AND c.version = $2`,
    [orgId, version],
  );
  return rows.map((r) => ({ paymentId: r.payment_id, kind: r.kind, ref: r.ref, credits: Number(r.credits), amountCents: Number(r.amount_cents) }));
}

/**
 * The list's status, in SQL for the filter: the same rule as domain/paymentRecords.ts paymentStatus
 * (test/store/payments.test.ts holds them to each other).
 */
const LISTED_STATUS = `CASE
  WHEN status <> 'succeeded' THEN status
  WHEN dispute_status IN ('open', 'lost') THEN 'disputed'
  WHEN refunded_credits >= credits OR (amount_cents > 0 AND refunded_cents >= amount_cents) THEN 'refunded'
  WHEN refunded_cents > 0 OR refunded_credits > 0 THEN 'partially_refunded'
  ELSE 'succeeded' END`;

export interface PaymentFilter {
  limit: number;
  /** The id of the last payment of the previous page. */
  cursor?: string;
  kind?: PaymentKind;
  status?: PaymentStatus;
}

/** A page of the organization's payments, newest first (keyset on seq); undefined for a cursor no payment of it has. */
export async function listPayments(db: Pool, orgId: string, filter: PaymentFilter): Promise<{ payments: ListedPayment[]; nextCursor: string | null } | undefined> {
  let before: string | null = null;
  if (filter.cursor !== undefined) {
    const { rows } = await db.query<{ seq: string }>('SELECT seq::text FROM payments WHERE org_id = $1 AND id = $2', [orgId, filter.cursor]);
    if (!rows[0]) return undefined;
    before = rows[0].seq;
  }
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM payments
     WHERE org_id = $1 AND ($2::bigint IS NULL OR seq < $2) AND ($3::text IS NULL OR kind = $3) AND ($4::text IS NULL OR ${LISTED_STATUS} = $4)
     ORDER BY payments.seq DESC LIMIT $5`,
    [orgId, before, filter.kind ?? null, filter.status ?? null, filter.limit + 1],
  );
  const payments = rows.slice(0, filter.limit).map(toPayment);
  return { payments, nextCursor: rows.length > filter.limit ? payments[payments.length - 1].id : null };
}

export interface PaymentRefund {
  refundId: string;
  amountCents: number;
  credits: number;
  at: string;
}

export async function findPayment(db: Pool | PoolClient, orgId: string, paymentId: string): Promise<(StoredPayment & { refunds: PaymentRefund[] }) | undefined> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM payments WHERE org_id = $1 AND id = $2`, [orgId, paymentId]);
  if (!rows[0]) return undefined;
  const refunds = await db.query<{ refund_id: string; amount_cents: string; credits: string; at: Date }>(
    'SELECT refund_id, amount_cents, credits, at FROM payment_refunds WHERE org_id = $1 AND payment_id = $2 ORDER BY at, refund_id',
    [orgId, paymentId],
  );
  return {
    ...toPayment(rows[0]),
    refunds: refunds.rows.map((r) => ({ refundId: r.refund_id, amountCents: Number(r.amount_cents), credits: Number(r.credits), at: r.at.toISOString() })),
  };
}

/** The payment a provider intent paid for: the webhook's way from a charge or dispute back to it. */
export async function findPaymentByIntent(db: Pool, paymentIntentId: string): Promise<{ orgId: string; paymentId: string } | undefined> {
  const { rows } = await db.query<{ org_id: string; id: string }>('SELECT org_id, id FROM payments WHERE payment_intent_id = $1', [paymentIntentId]);
  return rows[0] && { orgId: rows[0].org_id, paymentId: rows[0].id };
}
