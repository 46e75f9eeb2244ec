// Available credits are defined once in SQL (available_credits, used by record_usage and every SQL
// that reads available) and mirrored once in TypeScript (domain/pools.ts available): the same
// balance rows give the same figure.
import type { Pool } from 'pg';
import { available } from '../../domain/pools';
import { readBalance } from '../../store/balances';
import { orgWithBalance, testDatabase } from '../helpers/database';

let db: Pool;
beforeAll(() => {
  db = testDatabase();
});
afterAll(() => db.end());

test.each`
  planRemaining | grants | wallet
  ${0}          | ${0}   | ${0}
  ${100}        | ${0}   | ${50}
  ${100}        | ${25}  | ${50}
  ${0}          | ${40}  | ${-90}
  ${7}          | ${3}   | ${-10}
`('plan $planRemaining, grants $grants, wallet $wallet: SQL and TypeScript agree', async ({ planRemaining, grants, wallet }: { planRemaining: number; grants: number; wallet: number }) => {
  const orgId = await orgWithBalance(db, { planRemaining, wallet });
  await db.query('UPDATE balances SET grant_credits = $2 WHERE org_id = $1', [orgId, grants]);
  const { rows } = await db.query<{ available: number }>('SELECT available_credits(b) AS available FROM balances b WHERE org_id = $1', [orgId]);
  const balance = await readBalance(db, orgId);
  expect(balance!.pools).toEqual({ planRemaining, grants, wallet });
  expect(rows[0].available).toBe(available(balance!.pools));
  expect(rows[0].available).toBe(planRemaining + grants + wallet);
});
