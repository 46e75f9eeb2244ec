// The payments list filters by status in SQL: the same rule as domain/paymentRecords.ts
// paymentStatus, held to it here for every status a payment can show.
import type { Pool } from 'pg';
import { paymentStatus, PAYMENT_STATUSES } from '../../domain/paymentRecords';
import { listPayments } from '../../store/payments';
import { orgWithBalance, testDatabase } from '../helpers/database';

let db: Pool;
beforeAll(() => {
  db = testDatabase();
});
afterAll(() => db.end());

test("the SQL status filter and the domain's status agree", async () => {
  const orgId = await orgWithBalance(db, { planRemaining: 0, wallet: 0 });
  const rows: Array<[string, string, number, number, string | null]> = [
    // status, refunded cents, refunded credits, disputed credits, dispute status
    ['pending', '0', 0, 0, null],
    ['requires_action', '0', 0, 0, null],
    ['failed', '0', 0, 0, null],
    ['succeeded', '0', 0, 0, null],
    ['succeeded', '1000', 500, 0, null],
    ['succeeded', '4000', 2000, 0, null],
    ['succeeded', '0', 0, 2000, 'open'],
    ['succeeded', '0', 0, 2000, 'lost'],
    ['succeeded', '0', 0, 0, 'won'],
  ].map((r) => r as [string, string, number, number, string | null]);
  for (const [i, [status, cents, credits, disputed, dispute]] of rows.entries()) {
    await db.query(
      `INSERT INTO payments (org_id, id, kind, credits, amount_cents, price_per_1000_cents, status, created_at, refunded_cents, refunded_credits, disputed_credits, dispute_id, dispute_status)
       VALUES ($1, $2, 'top_up', 2000, 4000, 2000, $3, now(), $4, $5, $6, $7, $8)`,
      [orgId, `pay_t_${i}`, status, cents, credits, disputed, dispute && 'dp_1', dispute],
    );
  }
  const all = (await listPayments(db, orgId, { limit: 100 }))!.payments;
  expect(all).toHaveLength(rows.length);
  for (const status of PAYMENT_STATUSES) {
    const filtered = (await listPayments(db, orgId, { limit: 100, status }))!.payments.map((p) => p.id).sort();
    expect(filtered).toEqual(all.filter((p) => paymentStatus(p) === status).map((p) => p.id).sort());
    expect(filtered.length).toBeGreaterThan(0);
  }
});
