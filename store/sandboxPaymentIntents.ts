// The sandbox provider's payment intents (sandbox_payment_intents), one per idempotency key
// (payments/sandbox.ts).
import type { Pool } from 'pg';

export interface StoredIntent {
  id: string;
  orgId: string;
  paymentId: string;
  amountCents: number;
  status: string;
  clientSecret: string;
  declineCode: string | null;
  message: string | null;
}

export interface NewIntent extends StoredIntent {
  idempotencyKey: string;
  paymentMethodId: string;
}

const COLUMNS = `id, org_id AS "orgId", payment_id AS "paymentId", amount_cents AS "amountCents", status,
  client_secret AS "clientSecret", decline_code AS "declineCode", message`;

/** Inserts the intent, or answers the one its idempotency key made before. */
export async function insertIntent(db: Pool, intent: NewIntent): Promise<StoredIntent> {
  const { rows } = await db.query<StoredIntent>(
    `INSERT INTO sandbox_payment_intents
       (id, idempotency_key, org_id, payment_id, amount_cents, payment_method_id, status, client_secret, decline_code, message)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
     RETURNING ${COLUMNS}`,
    [
      intent.id,
      intent.idempotencyKey,
      intent.orgId,
      intent.paymentId,
      intent.amountCents,
      intent.paymentMethodId,
      intent.status,
      intent.clientSecret,
      intent.declineCode,
      intent.message,
    ],
  );
  return rows[0];
}

export async function findIntent(db: Pool, id: string): Promise<StoredIntent | undefined> {
  const { rows } = await db.query<StoredIntent>(`SELECT ${COLUMNS} FROM sandbox_payment_intents WHERE id = $1`, [id]);
  return rows[0];
}

/** As at Stripe: any intent not yet succeeded (or cancelled) can be cancelled. */
export async function cancelIntent(db: Pool, id: string): Promise<void> {
  await db.query("UPDATE sandbox_payment_intents SET status = 'canceled', updated_at = now() WHERE id = $1 AND status NOT IN ('succeeded', 'canceled')", [id]);
}

/** Succeeds an intent waiting for authentication; false when it was not waiting (or does not exist). */
export async function confirmIntent(db: Pool, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    "UPDATE sandbox_payment_intents SET status = 'succeeded', updated_at = now() WHERE id = $1 AND status = 'requires_action'",
    [id],
  );
  return rowCount === 1;
}
