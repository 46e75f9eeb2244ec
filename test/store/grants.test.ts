// The grants list filters by status in SQL: the same rule as domain/grants.ts grantStatus, held to
// it here for every status a grant can show (an expiry not yet swept included).
import type { Pool } from 'pg';
import { grantStatus, GRANT_STATUSES } from '../../domain/grants';
import { createGrant, expireDueGrants, listGrants, voidGrant } from '../../store/grants';
import { orgWithBalance, testDatabase } from '../helpers/database';

let db: Pool;
beforeAll(() => {
  db = testDatabase();
});
afterAll(() => db.end());

test("the SQL status filter and the domain's status agree", async () => {
  const orgId = await orgWithBalance(db, { planRemaining: 0, wallet: 0 });
  const now = Date.now();
  const at = new Date(now).toISOString();
  const grant = (name: string, expiresAt: string | null) =>
    createGrant(db, orgId, { credits: 100, name, category: 'goodwill', priority: 50, expiresAt, idempotencyKey: null }, at);
  await grant('no expiry', null);
  await grant('expires later', new Date(now + 86_400_000).toISOString());
  await grant('past, not swept', new Date(now - 2_000).toISOString());
  const swept = await grant('past, swept', new Date(now - 1_000).toISOString());
  await expireDueGrants(db, orgId, new Date(now));
  const voided = await grant('voided', null);
  expect(await voidGrant(db, orgId, voided.grant.id, at)).toMatchObject({ grant: { status: 'voided' } });

  const all = await listGrants(db, orgId, undefined, 100);
  expect(all).toHaveLength(5);
  expect(all.find((g) => g.id === swept.grant.id)?.expiredAt).not.toBeNull();
  for (const status of GRANT_STATUSES) {
    const filtered = (await listGrants(db, orgId, status, 100)).map((g) => g.id).sort();
    expect(filtered).toEqual(all.filter((g) => grantStatus(g, Date.now()) === status).map((g) => g.id).sort());
    expect(filtered.length).toBeGreaterThan(0);
  }
});
