// The balance.low crossing has one owner, note_balance_low (migration 7): the usage transaction and
// the workflow's commit both go through it. Here through each, against the real database.
import type { Pool } from 'pg';
import { lockBalance, withLowBalanceNoted } from '../../store/balances';
import { commitBilling } from '../../store/commitBilling';
import { initialOrgBilling } from '../../domain/orgBilling';
import { inTransaction } from '../../store/transaction';
import { recordUsage } from '../../store/usage';
import { orgWithBalance, testDatabase } from '../helpers/database';

let db: Pool;
beforeAll(() => {
  db = testDatabase();
});
afterAll(() => db.end());

const lowEvents = async (orgId: string) =>
  (await db.query<{ message: string; data: unknown }>("SELECT message, data FROM events WHERE org_id = $1 AND type = 'balance.low' ORDER BY seq", [orgId])).rows;

describe('the crossing rule', () => {
  test.each`
    available | threshold | wasNotified | notified | crossed  | case
    ${99}     | ${100}    | ${false}    | ${true}  | ${true}  | ${'below for the first time: balance.low'}
    ${100}    | ${100}    | ${false}    | ${false} | ${false} | ${'exactly at the threshold is not below'}
    ${50}     | ${100}    | ${true}     | ${true}  | ${false} | ${'still below: no second notice'}
    ${100}    | ${100}    | ${true}     | ${false} | ${false} | ${'back at the threshold: re-armed'}
    ${-5}     | ${0}      | ${false}    | ${true}  | ${true}  | ${'a zero threshold crosses into debt'}
  `('$case', async ({ available, threshold, wasNotified, notified, crossed }) => {
    const orgId = await orgWithBalance(db, { planRemaining: 0, wallet: available, thresholdCredits: threshold, lowNotified: wasNotified });
    const after = await inTransaction(db, async (tx) => withLowBalanceNoted(tx, orgId, await lockBalance(tx, orgId), new Date().toISOString()));
    expect(after.lowNotified).toBe(notified);
    expect(after.eventSeq).toBe(crossed ? 1 : 0);
    expect(await lowEvents(orgId)).toHaveLength(crossed ? 1 : 0);
  });
});

test('usage and the workflow commit write the same notice through the same function', async () => {
  const byUsage = await orgWithBalance(db, { planRemaining: 0, wallet: 150, thresholdCredits: 100 });
  await recordUsage(db, byUsage, [{ id: 'u1', agentId: 'a', meter: 'message', quantity: 1, credits: 60, occurredAt: new Date().toISOString() }]);

  const byCommit = await orgWithBalance(db, { planRemaining: 0, wallet: 90, thresholdCredits: 0 });
  const record = initialOrgBilling();
  await commitBilling(db, {
    orgId: byCommit,
    version: 1,
    record,
    settings: { thresholdCredits: 100, autoRechargeEnabled: false, subscriptionActive: false },
    ledger: [],
    events: [],
    topUps: [],
    at: new Date().toISOString(),
  });

  const expected = [{ message: 'Available credits (90) fell below 100.', data: { availableCredits: 90, thresholdCredits: 100 } }];
  expect(await lowEvents(byUsage)).toEqual(expected);
  expect(await lowEvents(byCommit)).toEqual(expected);
});
