// The organization's saved cards (payment_methods): what the provider said about each when it was
// saved. The default is org_billing.payment_method_id, which the workflow owns.
import type { Pool } from 'pg';
import type { CardView } from '../domain/cards';

export interface SavedCard extends CardView {
  addedAt: Date;
}

export interface NewCardDetails {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

const COLUMNS = `id, brand, last4, exp_month AS "expMonth", exp_year AS "expYear", added_at AS "addedAt"`;

/** Saves a card, or refreshes the details of one saved before (its place in the order stays). */
export async function saveCard(db: Pool, orgId: string, id: string, details: NewCardDetails | null): Promise<void> {
  await db.query(
    `INSERT INTO payment_methods (org_id, id, brand, last4, exp_month, exp_year) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (org_id, id) DO UPDATE SET brand = COALESCE(EXCLUDED.brand, payment_methods.brand), last4 = COALESCE(EXCLUDED.last4, payment_methods.last4),
       exp_month = COALESCE(EXCLUDED.exp_month, payment_methods.exp_month), exp_year = COALESCE(EXCLUDED.exp_year, payment_methods.exp_year)`,
    [orgId, id, details?.brand ?? null, details?.last4 ?? null, details?.expMonth ?? null, details?.expYear ?? null],
  );
}

/** The organization's cards, most recently added first. */
export async function listCards(db: Pool, orgId: string): Promise<SavedCard[]> {
  const { rows } = await db.query<SavedCard>(`SELECT ${COLUMNS} FROM payment_methods WHERE org_id = $1 ORDER BY added_at DESC, id`, [orgId]);
  return rows;
}

export async function findCard(db: Pool, orgId: string, id: string): Promise<SavedCard | undefined> {
  const { rows } = await db.query<SavedCard>(`SELECT ${COLUMNS} FROM payment_methods WHERE org_id = $1 AND id = $2`, [orgId, id]);
  return rows[0];
}

/** True when this call removed it. */
export async function deleteCard(db: Pool, orgId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM payment_methods WHERE org_id = $1 AND id = $2', [orgId, id]);
  return (rowCount ?? 0) > 0;
}

export interface ExpiringCard extends CardView {
  orgId: string;
}

/** Default cards expiring in or before (year, month) whose payment_method.expiring event (keyed by `keyPrefix` + id) is not written yet. */
export async function expiringDefaultCards(db: Pool, through: { year: number; month: number }, keyPrefix: string): Promise<ExpiringCard[]> {
  const { rows } = await db.query<ExpiringCard>(
    `SELECT pm.org_id AS "orgId", pm.id, pm.brand, pm.last4, pm.exp_month AS "expMonth", pm.exp_year AS "expYear"
     FROM payment_methods pm JOIN org_billing b ON b.org_id = pm.org_id AND b.payment_method_id = pm.id
     WHERE (pm.exp_year, pm.exp_month) <= ($1, $2)
       AND NOT EXISTS (SELECT 1 FROM events e WHERE e.org_id = pm.org_id AND e.key = $3 || pm.id)
     ORDER BY pm.org_id, pm.id LIMIT 1000`,
    [through.year, through.month, keyPrefix],
  );
  return rows;
}

/** What removing a card depends on: the workflow's default card and whether auto-recharge is on (undefined: no record). */
export async function readCardPolicy(db: Pool, orgId: string): Promise<{ defaultId: string | null; autoRechargeEnabled: boolean } | undefined> {
  const { rows } = await db.query<{ payment_method_id: string | null; enabled: boolean | null }>(
    `SELECT payment_method_id, (auto_recharge->>'enabled')::boolean AS enabled FROM org_billing WHERE org_id = $1`,
    [orgId],
  );
  return rows[0] && { defaultId: rows[0].payment_method_id, autoRechargeEnabled: rows[0].enabled === true };
}
