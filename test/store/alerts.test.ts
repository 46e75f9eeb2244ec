// The re-arming of alerts, against the real database: the balances trigger (migrations) evaluates
// every balance change, in the usage transaction (record_usage) and in the workflow's commits
// (store/commitBilling.ts). available_below fires once below its line and re-arms at or above it;
// plan_used_percent fires once a period and re-arms at renewal.
import type { Pool } from 'pg';
import type { AlertDefinition } from '../../domain/alerts';
import { initialOrgBilling, type LedgerChange, type NewEvent } from '../../domain/orgBilling';
import { readAlerts, saveAlerts } from '../../store/alerts';
import { commitBilling } from '../../store/commitBilling';
import { recordUsage } from '../../store/usage';
import { orgWithBalance, testDatabase } from '../helpers/database';

let db: Pool;
beforeAll(() => {
  db = testDatabase();
});
afterAll(() => db.end());

let usageId = 0;
const spend = (orgId: string, credits: number) =>
  recordUsage(db, orgId, [{ id: `u${++usageId}`, agentId: 'a', meter: 'message', quantity: 1, credits, occurredAt: new Date().toISOString() }]);

/** An organization with an active subscription whose period granted `plan` plan credits. */
async function withPlan(plan: number): Promise<string> {
  const orgId = await orgWithBalance(db, { planRemaining: plan, wallet: 0 });
  await db.query('UPDATE balances SET subscription_active = true WHERE org_id = $1', [orgId]);
  return orgId;
}

const versions = new Map<string, number>();
/** A workflow commit of these ledger changes and events (the threshold at 0: no balance.low). */
function commit(orgId: string, ledger: LedgerChange[], events: NewEvent[] = [], subscriptionActive = true) {
  const version = (versions.get(orgId) ?? 0) + 1;
  versions.set(orgId, version);
  return commitBilling(db, {
    orgId,
    version,
    record: initialOrgBilling(),
    settings: { thresholdCredits: 0, autoRechargeEnabled: false, subscriptionActive },
    ledger,
    events,
    topUps: [],
    at: new Date().toISOString(),
  });
}
const topUp = (orgId: string, credits: number) => commit(orgId, [{ type: 'credit', kind: 'top_up', credits, ref: `pay_${++usageId}` }]);
const renew = (orgId: string, planCredits: number) => commit(orgId, [{ type: 'startPeriod', planCredits, ref: `renewal-${++usageId}` }]);
const changePlan = (orgId: string, planCredits: number, subscriptionActive = true) =>
  commit(orgId, [{ type: 'adjustPlan', planCredits, ref: `plan-change-${++usageId}` }], [], subscriptionActive);

/** The alert.triggered events, oldest first, as `alert id @ seq`, and whether seq has no gap. */
async function fired(orgId: string): Promise<string[]> {
  const { rows } = await db.query<{ seq: number; type: string; data: { alert: { id: string } } }>('SELECT seq, type, data FROM events WHERE org_id = $1 ORDER BY seq', [orgId]);
  rows.forEach((row, i) => expect(Number(row.seq)).toBe(i + 1));
  const { rows: balance } = await db.query<{ event_seq: number }>('SELECT event_seq FROM balances WHERE org_id = $1', [orgId]);
  expect(Number(balance[0].event_seq)).toBe(rows.length);
  return rows.filter((r) => r.type === 'alert.triggered').map((r) => r.data.alert.id);
}

const below = (id: string, credits: number): AlertDefinition => ({ id, type: 'available_below', credits });
const used = (id: string, percent: number): AlertDefinition => ({ id, type: 'plan_used_percent', percent });

describe('available_below', () => {
  test('fires once when available goes below, not while it stays below, and re-arms at or above', async () => {
    const orgId = await orgWithBalance(db, { planRemaining: 0, wallet: 1000 });
    await saveAlerts(db, orgId, [below('low', 500)]);
    await spend(orgId, 500); // exactly at the line is not below
    expect(await fired(orgId)).toEqual([]);
    await spend(orgId, 1);
    await spend(orgId, 100);
    expect(await fired(orgId)).toEqual(['low']);
    expect((await readAlerts(db, orgId))[0]).toMatchObject({ armed: false, lastTriggeredAt: expect.any(String) });

    await topUp(orgId, 100); // 499: still below
    expect((await readAlerts(db, orgId))[0].armed).toBe(false);
    await topUp(orgId, 1); // 500: at the line again, re-armed
    expect((await readAlerts(db, orgId))[0].armed).toBe(true);
    await spend(orgId, 1);
    expect(await fired(orgId)).toEqual(['low', 'low']);
  });

  test('a ladder crossed by one debit fires each rung once, from the highest, numbered after balance.low', async () => {
    const orgId = await orgWithBalance(db, { planRemaining: 0, wallet: 1000, thresholdCredits: 300 });
    await saveAlerts(db, orgId, [below('l100', 100), below('l500', 500), below('debt', 0), below('l300', 300)]);
    await spend(orgId, 800);
    const { rows } = await db.query('SELECT seq, type, message, data FROM events WHERE org_id = $1 ORDER BY seq', [orgId]);
    expect(rows.map((r) => [Number(r.seq), r.type, r.data.alert?.id])).toEqual([
      [1, 'balance.low', undefined],
      [2, 'alert.triggered', 'l500'],
      [3, 'alert.triggered', 'l300'],
    ]);
    expect(rows[1]).toMatchObject({ message: 'Alert l500: available credits (200) fell below 500.', data: { alert: { id: 'l500', type: 'available_below', credits: 500 }, availableCredits: 200 } });
    await spend(orgId, 150);
    await spend(orgId, 100); // into debt: -50
    expect(await fired(orgId)).toEqual(['l500', 'l300', 'l100', 'debt']);
  });

  test('16 concurrent usage requests across a ladder fire each rung exactly once, numbered without gaps', async () => {
    const orgId = await orgWithBalance(db, { planRemaining: 0, wallet: 1600 });
    await saveAlerts(db, orgId, [below('l1200', 1200), below('l800', 800), below('l400', 400)]);
    await Promise.all(Array.from({ length: 16 }, () => spend(orgId, 100)));
    expect(await fired(orgId)).toEqual(['l1200', 'l800', 'l400']);
  });

  test("in a workflow commit too, numbered after the commit's own events", async () => {
    const orgId = await orgWithBalance(db, { planRemaining: 1000, wallet: 0 });
    await saveAlerts(db, orgId, [below('low', 800)]);
    await commit(orgId, [{ type: 'startPeriod', planCredits: 100, ref: 'renewal-x' }], [{ type: 'plan.renewed', at: new Date().toISOString(), message: 'renewed', data: {} }]);
    const { rows } = await db.query('SELECT seq, type FROM events WHERE org_id = $1 ORDER BY seq', [orgId]);
    expect(rows.map((r) => [Number(r.seq), r.type])).toEqual([
      [1, 'plan.renewed'],
      [2, 'alert.triggered'],
    ]);
  });
});

describe('plan_used_percent', () => {
  test('fires once a period when the plan credits used reach the percent, and re-arms at renewal', async () => {
    const orgId = await withPlan(1000);
    await saveAlerts(db, orgId, [used('half', 50), used('most', 90)]);
    await spend(orgId, 499);
    expect(await fired(orgId)).toEqual([]);
    await spend(orgId, 1); // 500 of 1000: reached
    await spend(orgId, 100);
    expect(await fired(orgId)).toEqual(['half']);
    const { rows } = await db.query("SELECT message, data FROM events WHERE org_id = $1 AND type = 'alert.triggered'", [orgId]);
    expect(rows[0]).toEqual({
      message: 'Alert half: plan credits used this period reached 50% (500 of 1000).',
      data: { alert: { id: 'half', type: 'plan_used_percent', percent: 50 }, availableCredits: 500, planUsedPercent: 50, planCreditsUsed: 500, planCreditsGranted: 1000 },
    });

    await renew(orgId, 1000);
    expect((await readAlerts(db, orgId)).map((a) => a.armed)).toEqual([true, true]);
    await spend(orgId, 950); // both at once, the lower percent first
    expect(await fired(orgId)).toEqual(['half', 'half', 'most']);
  });

  test('a plan change within the period neither re-arms nor re-fires; a lowered plan may cross for the first time', async () => {
    const orgId = await withPlan(1000);
    await saveAlerts(db, orgId, [used('half', 50), used('most', 90)]);
    await spend(orgId, 600);
    expect(await fired(orgId)).toEqual(['half']);
    await changePlan(orgId, 2000); // 600 of 2000 used: below 50%, but the period's alert stays fired
    expect((await readAlerts(db, orgId)).map((a) => a.armed)).toEqual([false, true]);
    await spend(orgId, 500); // 1100 of 2000
    expect(await fired(orgId)).toEqual(['half']);
    await changePlan(orgId, 1200); // 1100 of 1200: 90% crossed by the change itself
    expect(await fired(orgId)).toEqual(['half', 'most']);
  });

  test('a subscription that lapses mid-period empties the plan pool without firing; active again, usage does', async () => {
    const orgId = await withPlan(1000);
    await saveAlerts(db, orgId, [used('most', 90)]);
    await spend(orgId, 300);
    await changePlan(orgId, 0, false); // past due: no plan credits, 300 of 300 "used"
    expect(await fired(orgId)).toEqual([]);
    await changePlan(orgId, 1000); // 300 of 1000 used
    await spend(orgId, 600);
    expect(await fired(orgId)).toEqual(['most']);
  });

  test('never fires with no plan credits granted', async () => {
    const orgId = await orgWithBalance(db, { planRemaining: 0, wallet: 100 });
    await db.query('UPDATE balances SET subscription_active = true WHERE org_id = $1', [orgId]);
    await saveAlerts(db, orgId, [used('any', 1)]);
    await spend(orgId, 50);
    expect(await fired(orgId)).toEqual([]);
  });
});

describe('saving', () => {
  test('an alert already crossed when saved is disarmed and does not fire; a kept one keeps its state; a changed line is armed anew', async () => {
    const orgId = await orgWithBalance(db, { planRemaining: 0, wallet: 100 });
    expect(await saveAlerts(db, orgId, [below('crossed', 500), below('armed', 50)])).toEqual([
      { id: 'crossed', type: 'available_below', credits: 500, armed: false, lastTriggeredAt: null },
      { id: 'armed', type: 'available_below', credits: 50, armed: true, lastTriggeredAt: null },
    ]);
    await spend(orgId, 60);
    expect(await fired(orgId)).toEqual(['armed']);

    // Kept with the same line: still fired. Moved below the balance: armed, and fires when crossed.
    const saved = await saveAlerts(db, orgId, [below('armed', 50), below('crossed', 20)]);
    expect(saved.map((a) => [a.id, a.armed, a.lastTriggeredAt !== null])).toEqual([
      ['armed', false, true],
      ['crossed', true, false],
    ]);
    await spend(orgId, 30);
    expect(await fired(orgId)).toEqual(['armed', 'crossed']);
  });

  test('removing every alert turns the trigger off for the organization', async () => {
    const orgId = await orgWithBalance(db, { planRemaining: 0, wallet: 100 });
    await saveAlerts(db, orgId, [below('low', 50)]);
    await saveAlerts(db, orgId, []);
    await spend(orgId, 80);
    expect(await fired(orgId)).toEqual([]);
    const { rows } = await db.query('SELECT has_alerts FROM balances WHERE org_id = $1', [orgId]);
    expect(rows[0].has_alerts).toBe(false);
    expect(await readAlerts(db, orgId)).toEqual([]);
  });
});
