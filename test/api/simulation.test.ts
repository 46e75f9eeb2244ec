// POST /auto-recharge/simulate and GET /forecast over the real stack: hand-computed answers on a
// ledger written with SQL at past instants and on usage reported through the API, validation,
// who may ask, and that asking changes nothing.
import { topUpAmountCents } from '../../domain/pricing';
import { createOrg, expectStatus, postUsage } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';
import { bareOrg, expectError, sortedKeys } from './apiHelpers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const price = () => stack.settings.rules.creditPricePer1000Cents;

type Row = [kind: string, pool: string, credits: number, ref: string, at: number];

/** Ledger rows as the service would have written them, at past instants, in this order (ids grow). */
async function insertLedger(orgId: string, rows: Row[]): Promise<void> {
  for (const [kind, pool, credits, ref, at] of rows) {
    await stack.db.query('INSERT INTO ledger_postings (org_id, at, kind, pool, credits, ref) VALUES ($1, $2, $3, $4, $5, $6)', [orgId, new Date(at), kind, pool, credits, ref]);
  }
}

const simulate = (orgId: string, body: unknown, token = stack.token('owner', orgId)) => stack.http.post(`/v1/orgs/${orgId}/auto-recharge/simulate`, token, body);

describe('POST /v1/orgs/:org/auto-recharge/simulate', () => {
  test('replays a window of the ledger with the proposed settings (hand-computed)', async () => {
    const org = await bareOrg(stack);
    const base = Math.floor((Date.now() - 20 * DAY) / 1000) * 1000;
    await insertLedger(org, [
      ['top_up', 'wallet', 1000, 'pay_a_topup_k1', base - DAY], // before the window: the wallet starts at 1,000
      ['plan_renewal', 'plan', 500, 'renewal-1', base - DAY], // and the plan pool at 500
      ['usage', 'plan', -400, 'u1', base + HOUR],
      ['usage', 'plan', -100, 'u2', base + 2 * HOUR], // one event of 800 over both pools
      ['usage', 'wallet', -700, 'u2', base + 2 * HOUR],
      ['auto_recharge', 'wallet', 2000, 'pay_a_1', base + 2 * HOUR + 60_000], // the recorded settings' recharge: left out
      ['plan_renewal', 'plan', 500, 'renewal-2', base + 5 * DAY], // recorded plan pool 0 -> 500
      ['usage', 'plan', -500, 'u3', base + 6 * DAY],
      ['usage', 'wallet', -900, 'u3', base + 6 * DAY],
      ['usage', 'wallet', -50, 'u4', base + 11 * DAY], // after the window
    ]);
    // Threshold 1,000, recharges of 500, at most 2 a month. Start: 500 + 1,000 = 1,500.
    // u1: 1,100. u2 (800, plan first): plan 0, wallet 300: recharges to 800, 1,300 (cap).
    // Renewal: plan 500, a new period: 1,800. u3 (1,400): plan 0, wallet 400: 900, 1,400 (cap).
    const body = await expectStatus(
      simulate(org, { thresholdCredits: 1000, rechargeCredits: 500, maxRechargesPerMonth: 2, from: iso(base), to: iso(base + 10 * DAY) }),
      200,
    );
    expect(body).toEqual({
      recharges: 4,
      chargedCents: 4 * topUpAmountCents(500, price()),
      capReachedAt: iso(base + 2 * HOUR),
      minAvailableCredits: 300,
      finalAvailableCredits: 1400,
      from: iso(base),
      to: iso(base + 10 * DAY),
      periods: [
        { start: iso(base), end: iso(base + 5 * DAY), recharges: 2, capReachedAt: iso(base + 2 * HOUR) },
        { start: iso(base + 5 * DAY), end: iso(base + 10 * DAY), recharges: 2, capReachedAt: iso(base + 6 * DAY) },
      ],
    });
    // A generous cap: u2 needs 2, u3 needs 2 as well (400 -> 900 -> 1,400), nothing else.
    const uncapped = await expectStatus(simulate(org, { thresholdCredits: 1000, rechargeCredits: 500, maxRechargesPerMonth: 100, from: iso(base), to: iso(base + 10 * DAY) }), 200);
    expect(uncapped).toMatchObject({ recharges: 4, capReachedAt: null, finalAvailableCredits: 1400 });
    // A window with no debit: nothing recharged, no minimum, where the pools stood.
    const quiet = await expectStatus(simulate(org, { thresholdCredits: 1000, rechargeCredits: 500, maxRechargesPerMonth: 2, from: iso(base + 12 * DAY), to: iso(base + 13 * DAY) }), 200);
    expect(quiet).toMatchObject({ recharges: 0, chargedCents: 0, capReachedAt: null, minAvailableCredits: null, finalAvailableCredits: 1000 + 1000 + 2000 - 400 - 800 - 1400 - 50 });
  });

  test('over usage reported through the API, the window defaulting to the last 30 days', async () => {
    const org = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
    // 1,500 messages: 1,000 from the plan, 500 from the wallet (to -500), one event.
    await postUsage(stack, org, [{ id: 'big-1', agentId: 'agent-1', meter: 'message', quantity: 1500 }]);
    const { entries } = await expectStatus(stack.http.get(`/v1/orgs/${org}/ledger`, stack.token('ops')), 200);
    const renewal = entries.find((e: { kind: string }) => e.kind === 'plan_renewal');
    const before = Date.now();
    const body = await expectStatus(simulate(org, { thresholdCredits: 1000, rechargeCredits: 500, maxRechargesPerMonth: 5 }), 200);
    const after = Date.now();
    // The subscription started a period (its renewal at the plan's entry): -500 -> 0 -> 500 -> 1,000.
    expect(body).toMatchObject({ recharges: 3, chargedCents: 3 * topUpAmountCents(500, price()), capReachedAt: null, minAvailableCredits: -500, finalAvailableCredits: 1000 });
    expect(Date.parse(body.to)).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(body.to)).toBeLessThanOrEqual(after);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(30 * DAY);
    expect(body.periods).toEqual([
      { start: body.from, end: iso(Date.parse(renewal.at)), recharges: 0, capReachedAt: null },
      { start: iso(Date.parse(renewal.at)), end: body.to, recharges: 3, capReachedAt: null },
    ]);
    expect(sortedKeys(body)).toEqual(['capReachedAt', 'chargedCents', 'finalAvailableCredits', 'from', 'minAvailableCredits', 'periods', 'recharges', 'to']);
  });

  test('changes nothing and charges nothing', async () => {
    const org = await createOrg(stack, { planCredits: 100, autoRecharge: { thresholdCredits: 50, rechargeCredits: 500, maxRechargesPerMonth: 3 } });
    await postUsage(stack, org, [{ id: 'm-1', agentId: 'agent-1', meter: 'message', quantity: 10 }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const state = async () =>
      (
        await stack.db.query(
          `SELECT (SELECT json_agg(l ORDER BY l.id) FROM ledger_entries l WHERE l.org_id = $1) AS ledger,
                  (SELECT json_agg(e ORDER BY e.seq) FROM events e WHERE e.org_id = $1) AS events,
                  (SELECT COUNT(*) FROM sandbox_payment_intents p WHERE p.org_id = $1)::int AS intents,
                  (SELECT row_to_json(b) FROM balances b WHERE b.org_id = $1) AS balance,
                  (SELECT row_to_json(r) FROM org_billing r WHERE r.org_id = $1) AS record`,
          [org],
        )
      ).rows[0];
    const before = await state();
    // Settings that would recharge many times over: nothing is charged for them.
    const body = await expectStatus(simulate(org, { thresholdCredits: 1_000_000, rechargeCredits: 500, maxRechargesPerMonth: 100 }), 200);
    expect(body.recharges).toBe(100);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await state()).toEqual(before);
  });

  test('the body is checked as the auto-recharge settings are (422), with from before to', async () => {
    const org = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
    const min = stack.settings.rules.minTopUpCredits;
    const ok = { thresholdCredits: 100, rechargeCredits: min, maxRechargesPerMonth: 3 };
    const now = Date.now();
    const bad: unknown[] = [
      {},
      { ...ok, enabled: true },
      { ...ok, thresholdCredits: -1 },
      { ...ok, thresholdCredits: 1.5 },
      { ...ok, rechargeCredits: min - 1 },
      { ...ok, maxRechargesPerMonth: 0 },
      { ...ok, maxRechargesPerMonth: 101 },
      { ...ok, thresholdCredits: '100' },
      { ...ok, from: 'yesterday' },
      { ...ok, to: iso(now).slice(0, 10) },
      { ...ok, from: iso(now - DAY), to: iso(now - DAY) },
      { ...ok, from: iso(now - DAY), to: iso(now - 2 * DAY) },
      { ...ok, from: iso(now + DAY) }, // to defaults to now
      { ...ok, from: iso(now - 400 * DAY), to: iso(now) },
    ];
    for (const body of bad) {
      const res = await simulate(org, body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 422]);
      expectError(res, 422, 'validation_failed');
    }
    await expectStatus(simulate(org, ok), 200);
    await expectStatus(simulate(org, { ...ok, from: iso(now - 2 * DAY) }), 200);
    await expectStatus(simulate(org, { ...ok, to: iso(now - DAY) }), 200);
    await expectStatus(simulate(org, { ...ok, from: '2020-01-01T00:00:00+02:00', to: '2020-06-01T00:00:00Z' }), 200);
  });

  test('anyone who may read billing may simulate: members and the agency, not a service token', async () => {
    const agency = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
    const sub = await createOrg(stack, { planCredits: 100, paymentMethodId: null, parentId: agency });
    const other = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
    const body = { thresholdCredits: 10, rechargeCredits: stack.settings.rules.minTopUpCredits, maxRechargesPerMonth: 1 };
    for (const token of [stack.token('owner', sub), stack.token('member', sub), stack.token('owner', agency), stack.token('member', agency), stack.token('ops')]) {
      await expectStatus(simulate(sub, body, token), 200);
    }
    for (const token of [stack.token('service'), stack.token('service', sub), stack.token('owner', other)]) {
      expectError(await simulate(sub, body, token), 403, 'forbidden');
    }
  });
});

describe('GET /v1/orgs/:org/forecast', () => {
  test('burn over the days since the first usage; days until empty; no subscription, no projection', async () => {
    const org = await bareOrg(stack);
    const now = Date.now();
    const first = now - 2 * DAY;
    await insertLedger(org, [
      ['usage', 'wallet', -600, 'f1', first],
      ['usage', 'wallet', -400, 'f2', now - DAY],
    ]);
    await stack.db.query('UPDATE balances SET wallet = 5000 WHERE org_id = $1', [org]);
    const body = await expectStatus(stack.http.get(`/v1/orgs/${org}/forecast`, stack.token('member', org)), 200);
    // 1,000 credits over 2 days: 500 a day; 5,000 available: 10 days.
    expect(body).toEqual({
      burnRateCreditsPerDay: 500,
      daysUntilThreshold: null,
      daysUntilEmpty: expect.any(Number),
      projectedRechargesThisPeriod: null,
      capReachedBeforeRenewal: null,
      basis: { from: iso(first), to: expect.any(String) },
    });
    expect(body.daysUntilEmpty).toBeGreaterThanOrEqual(9.9);
    expect(body.daysUntilEmpty).toBeLessThanOrEqual(10);
    expect(Date.parse(body.basis.to)).toBeGreaterThanOrEqual(now);
  });

  test('with auto-recharge on: days until the threshold and the recharges of this period', async () => {
    const org = await createOrg(stack, { planCredits: 1000, autoRecharge: { thresholdCredits: 200, rechargeCredits: 1000, maxRechargesPerMonth: 2 } });
    // Usage a week old and older: 7,000 over the trailing 7 days (the basis is the whole week).
    await insertLedger(org, [
      ['usage', 'wallet', -1, 'old', Date.now() - 9 * DAY],
      ['usage', 'wallet', -7000, 'week', Date.now() - 3 * DAY],
    ]);
    const body = await expectStatus(stack.http.get(`/v1/orgs/${org}/forecast`, stack.token('owner', org)), 200);
    // 1,000 a day, 1,000 available (the plan): 1 day to empty, 0.8 to the threshold. About 30 days
    // to renewal: ~30,000 burned, far more than 2 recharges cover: the cap is reached.
    expect(body).toMatchObject({ burnRateCreditsPerDay: 1000, projectedRechargesThisPeriod: 2, capReachedBeforeRenewal: true });
    expect(body).toMatchObject({ daysUntilEmpty: 1, daysUntilThreshold: 0.8 });
    expect(Date.parse(body.basis.to) - Date.parse(body.basis.from)).toBe(7 * DAY);
  });

  test('who may read it', async () => {
    const agency = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
    const sub = await createOrg(stack, { planCredits: 100, paymentMethodId: null, parentId: agency });
    for (const token of [stack.token('member', sub), stack.token('member', agency), stack.token('ops')]) {
      const body = await expectStatus(stack.http.get(`/v1/orgs/${sub}/forecast`, token), 200);
      expect(sortedKeys(body)).toEqual(['basis', 'burnRateCreditsPerDay', 'capReachedBeforeRenewal', 'daysUntilEmpty', 'daysUntilThreshold', 'projectedRechargesThisPeriod']);
    }
    expectError(await stack.http.get(`/v1/orgs/${sub}/forecast`, stack.token('service')), 403, 'forbidden');
  });
});

test('the OpenAPI document gives the simulate body: the settings without enabled, from and to optional', async () => {
  const doc = await expectStatus(stack.http.get('/openapi.json'), 200);
  const schema = doc.paths['/v1/orgs/{org}/auto-recharge/simulate'].post.requestBody.content['application/json'].schema;
  // rechargeCredits is required with mode fixed (the default), targetCredits with to_target.
  expect(schema.required.sort()).toEqual(['maxRechargesPerMonth', 'thresholdCredits']);
  expect(Object.keys(schema.properties).sort()).toEqual(['from', 'maxRechargesPerMonth', 'mode', 'rechargeCredits', 'targetCredits', 'thresholdCredits', 'to']);
  expect(schema.properties.mode).toMatchObject({ enum: ['fixed', 'to_target'], default: 'fixed' });
  expect(schema.properties.rechargeCredits.minimum).toBe(stack.settings.rules.minTopUpCredits);
  expect(schema.additionalProperties).toBe(false);
  expect(doc.paths['/v1/orgs/{org}/forecast'].get.responses['200'].description).toContain('burnRateCreditsPerDay');
});
