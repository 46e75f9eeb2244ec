// The Stripe customer of each organization (stripe_customers), one per organization.
import type { Pool } from 'pg';

export async function findCustomer(db: Pool, orgId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ customer_id: string }>('SELECT customer_id FROM stripe_customers WHERE org_id = $1', [orgId]);
  return rows[0]?.customer_id;
}

/** Keeps the first customer stored for the organization. */
export async function saveCustomer(db: Pool, orgId: string, customerId: string): Promise<void> {
  await db.query('INSERT INTO stripe_customers (org_id, customer_id) VALUES ($1, $2) ON CONFLICT (org_id) DO NOTHING', [orgId, customerId]);
}

export async function orgOfCustomer(db: Pool, customerId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ org_id: string }>('SELECT org_id FROM stripe_customers WHERE customer_id = $1', [customerId]);
  return rows[0]?.org_id;
}
