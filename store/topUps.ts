// Manual top-ups by Idempotency-Key (top_ups), kept for good: a key always answers with its own
// top-up. Written by the workflow's commits (commitBilling.ts).
import type { Pool, PoolClient } from 'pg';
import type { TopUp } from '../domain/payments';

interface Row {
  idempotency_key: string;
  payment_id: string;
  credits: number;
  amount_cents: number;
  status: TopUp['status'];
  client_secret: string | null;
  decline_code: string | null;
  message: string | null;
}

const toTopUp = (row: Row): TopUp => ({
  idempotencyKey: row.idempotency_key,
  id: row.payment_id,
  credits: row.credits,
  amountCents: row.amount_cents,
  status: row.status,
  clientSecret: row.client_secret,
  declineCode: row.decline_code,
  message: row.message,
});

export async function findTopUp(db: Pool, orgId: string, idempotencyKey: string): Promise<TopUp | null> {
  const { rows } = await db.query<Row>('SELECT * FROM top_ups WHERE org_id = $1 AND idempotency_key = $2', [orgId, idempotencyKey]);
  return rows[0] ? toTopUp(rows[0]) : null;
}

export async function upsertTopUps(tx: PoolClient, orgId: string, topUps: TopUp[]): Promise<void> {
  for (const t of topUps) {
    await tx.query(
      `INSERT INTO top_ups (org_id, idempotency_key, payment_id, credits, amount_cents, status, client_secret, decline_code, message)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (org_id, idempotency_key) DO UPDATE SET status = $6, client_secret = $7, decline_code = $8, message = $9, updated_at = now()`,
      [orgId, t.idempotencyKey, t.id, t.credits, t.amountCents, t.status, t.clientSecret, t.declineCode, t.message],
    );
  }
}
