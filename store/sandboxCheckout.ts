// The sandbox provider's checkout sessions and the payment methods they saved
// (sandbox_checkout_sessions, sandbox_payment_methods; payments/sandbox.ts). No card number is
// stored: a saved payment method names the test card it stands for.
import type { Pool } from 'pg';
import { inTransaction } from './transaction';

export interface SandboxSession {
  id: string;
  orgId: string;
  returnUrl: string;
  expiresAt: Date;
  completedAt: Date | null;
  paymentMethodId: string | null;
}

export interface SandboxSavedMethod {
  id: string;
  orgId: string;
  testPaymentMethodId: string;
  expMonth: number;
  expYear: number;
  detached: boolean;
}

const SESSION = `id, org_id AS "orgId", return_url AS "returnUrl", expires_at AS "expiresAt", completed_at AS "completedAt", payment_method_id AS "paymentMethodId"`;
const METHOD = `id, org_id AS "orgId", test_payment_method_id AS "testPaymentMethodId", exp_month AS "expMonth", exp_year AS "expYear", detached_at IS NOT NULL AS detached`;

export async function insertSession(db: Pool, session: { id: string; orgId: string; returnUrl: string; expiresAt: Date }): Promise<void> {
  await db.query('INSERT INTO sandbox_checkout_sessions (id, org_id, return_url, expires_at) VALUES ($1, $2, $3, $4)', [session.id, session.orgId, session.returnUrl, session.expiresAt]);
}

export async function findSession(db: Pool, id: string): Promise<SandboxSession | undefined> {
  const { rows } = await db.query<SandboxSession>(`SELECT ${SESSION} FROM sandbox_checkout_sessions WHERE id = $1`, [id]);
  return rows[0];
}

/** Completes an open session (not expired, not used) with a new payment method, in one
 * transaction; undefined when the session is not open (so it saves at most one card). */
export async function completeSession(db: Pool, sessionId: string, method: Omit<SandboxSavedMethod, 'orgId' | 'detached'>): Promise<SandboxSession | undefined> {
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query<SandboxSession>(
      `UPDATE sandbox_checkout_sessions SET completed_at = now(), payment_method_id = $2
       WHERE id = $1 AND completed_at IS NULL AND expires_at > now() RETURNING ${SESSION}`,
      [sessionId, method.id],
    );
    const session = rows[0];
    if (!session) return undefined;
    await tx.query('INSERT INTO sandbox_payment_methods (id, org_id, test_payment_method_id, exp_month, exp_year) VALUES ($1, $2, $3, $4, $5)', [
      method.id,
      session.orgId,
      method.testPaymentMethodId,
      method.expMonth,
      method.expYear,
    ]);
    return session;
  });
}

export async function findSavedMethod(db: Pool, id: string): Promise<SandboxSavedMethod | undefined> {
  const { rows } = await db.query<SandboxSavedMethod>(`SELECT ${METHOD} FROM sandbox_payment_methods WHERE id = $1`, [id]);
  return rows[0];
}

export async function listSavedMethods(db: Pool, orgId: string): Promise<SandboxSavedMethod[]> {
  const { rows } = await db.query<SandboxSavedMethod>(`SELECT ${METHOD} FROM sandbox_payment_methods WHERE org_id = $1 AND detached_at IS NULL ORDER BY created_at DESC, id`, [orgId]);
  return rows;
}

export async function detachSavedMethod(db: Pool, id: string): Promise<void> {
  await db.query('UPDATE sandbox_payment_methods SET detached_at = now() WHERE id = $1 AND detached_at IS NULL', [id]);
}
