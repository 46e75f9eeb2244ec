// The sandbox provider's refunds and disputes (sandbox_refunds, sandbox_disputes), held as Stripe
// holds them: a refund per idempotency key, never more than the intent's amount in all, and one
// dispute per charge (payments/sandbox.ts).
import type { Pool } from 'pg';
import { inTransaction } from './transaction';

export interface StoredRefund {
  id: string;
  paymentIntentId: string;
  amountCents: number;
  metadata: Record<string, string>;
  createdAt: Date;
}

const REFUND_COLUMNS = `id, payment_intent_id AS "paymentIntentId", amount_cents::int AS "amountCents", metadata, created_at AS "createdAt"`;

/**
 * The refund its idempotency key made before, or a new one when the intent succeeded and has this
 * much left unrefunded; otherwise the reason it is refused. The intent's row is locked meanwhile.
 */
export async function insertRefund(
  db: Pool,
  refund: { id: string; idempotencyKey: string; paymentIntentId: string; amountCents: number | null; metadata: Record<string, string> },
): Promise<StoredRefund | { refused: string }> {
  return inTransaction(db, async (tx) => {
    const intent = await tx.query<{ status: string; amount_cents: number }>('SELECT status, amount_cents FROM sandbox_payment_intents WHERE id = $1 FOR UPDATE', [refund.paymentIntentId]);
    if (!intent.rows[0]) return { refused: 'No such payment intent.' };
    const known = await tx.query<StoredRefund>(`SELECT ${REFUND_COLUMNS} FROM sandbox_refunds WHERE idempotency_key = $1`, [refund.idempotencyKey]);
    if (known.rows[0]) return known.rows[0];
    if (intent.rows[0].status !== 'succeeded') return { refused: `Only a succeeded payment can be refunded; this one is ${intent.rows[0].status}.` };
    const dispute = await tx.query('SELECT 1 FROM sandbox_disputes WHERE payment_intent_id = $1', [refund.paymentIntentId]);
    if (dispute.rowCount) return { refused: 'This charge is disputed and cannot be refunded.' };
    const sum = await tx.query<{ refunded: string }>('SELECT COALESCE(SUM(amount_cents), 0) AS refunded FROM sandbox_refunds WHERE payment_intent_id = $1', [refund.paymentIntentId]);
    const left = intent.rows[0].amount_cents - Number(sum.rows[0].refunded);
    const amount = refund.amountCents ?? left;
    if (amount <= 0 || amount > left) return { refused: `The refund of ${amount} cents is more than the ${left} cents left unrefunded.` };
    const { rows } = await tx.query<StoredRefund>(
      `INSERT INTO sandbox_refunds (id, idempotency_key, payment_intent_id, amount_cents, metadata) VALUES ($1, $2, $3, $4, $5) RETURNING ${REFUND_COLUMNS}`,
      [refund.id, refund.idempotencyKey, refund.paymentIntentId, amount, JSON.stringify(refund.metadata)],
    );
    return rows[0];
  });
}

export async function listRefunds(db: Pool, paymentIntentId: string): Promise<StoredRefund[]> {
  const { rows } = await db.query<StoredRefund>(`SELECT ${REFUND_COLUMNS} FROM sandbox_refunds WHERE payment_intent_id = $1 ORDER BY created_at, id`, [paymentIntentId]);
  return rows;
}

export interface StoredDispute {
  id: string;
  paymentIntentId: string;
  amountCents: number;
  status: string;
}

const DISPUTE_COLUMNS = `id, payment_intent_id AS "paymentIntentId", amount_cents::int AS "amountCents", status`;

/** Opens the charge's one dispute; undefined when it has one already or did not succeed. */
export async function openDispute(db: Pool, id: string, paymentIntentId: string): Promise<StoredDispute | undefined> {
  const { rows } = await db.query<StoredDispute>(
    `INSERT INTO sandbox_disputes (id, payment_intent_id, amount_cents, status)
     SELECT $1, id, amount_cents, 'needs_response' FROM sandbox_payment_intents WHERE id = $2 AND status = 'succeeded'
     ON CONFLICT (payment_intent_id) DO NOTHING RETURNING ${DISPUTE_COLUMNS}`,
    [id, paymentIntentId],
  );
  return rows[0];
}

/** Closes the charge's open dispute as won or lost; undefined when there is none open. */
export async function closeDispute(db: Pool, paymentIntentId: string, status: 'won' | 'lost'): Promise<StoredDispute | undefined> {
  const { rows } = await db.query<StoredDispute>(
    `UPDATE sandbox_disputes SET status = $2 WHERE payment_intent_id = $1 AND status NOT IN ('won', 'lost') RETURNING ${DISPUTE_COLUMNS}`,
    [paymentIntentId, status],
  );
  return rows[0];
}
