// The policy simulation, on hand-computed ledgers: several recharges after one deep debit, the cap,
// renewals inside the window, a usage event split over both pools, recorded recharges left out.
import { createPolicySimulation, simulatePolicy, type SimulationEntry, type SimulationInput } from '../../domain/policySimulation';

const FROM = Date.UTC(2026, 0, 1);
const TO = Date.UTC(2026, 1, 1);
const HOUR = 3_600_000;
const at = (hours: number) => FROM + hours * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
// $20.00 per 1,000 credits: 100 credits cost 200 cents, 200 credits 400 cents.
const PRICE = 2000;

const usage = (ref: string, credits: number, hours: number, pool: SimulationEntry['pool'] = 'wallet'): SimulationEntry => ({ kind: 'usage', pool, credits: -credits, at: at(hours), ref });
const entry = (kind: SimulationEntry['kind'], pool: SimulationEntry['pool'], credits: number, hours: number, ref = `${kind}-${hours}`): SimulationEntry => ({ kind, pool, credits, at: at(hours), ref });

function input(overrides: Partial<SimulationInput>): SimulationInput {
  return {
    startPools: { planRemaining: 0, wallet: 1000 },
    policy: { thresholdCredits: 500, rechargeCredits: 200, maxRechargesPerMonth: 10 },
    pricePer1000CreditsCents: PRICE,
    minTopUpCredits: 100,
    from: FROM,
    to: TO,
    ...overrides,
  };
}

test('a debit far below the threshold recharges several times in a row, until available is back at the threshold', () => {
  // 1000 - 900 = 100 < 500: 100 -> 300 -> 500 (two recharges; 500 is not below 500).
  const result = simulatePolicy(input({}), [usage('e1', 900, 1)]);
  expect(result).toEqual({
    recharges: 2,
    chargedCents: 800,
    capReachedAt: null,
    minAvailableCredits: 100,
    finalAvailableCredits: 500,
    periods: [{ start: iso(FROM), end: iso(TO), recharges: 2, capReachedAt: null }],
  });
});

test('the cap stops the recharges; capReachedAt is the debit at which the count reached it', () => {
  const result = simulatePolicy(input({ policy: { thresholdCredits: 500, rechargeCredits: 200, maxRechargesPerMonth: 3 } }), [
    usage('e1', 600, 1), // 400: one recharge -> 600
    usage('e2', 1000, 2), // -400: -200, 0 (count 3 = cap), stopped below the threshold
    usage('e3', 100, 3), // -100: capped, nothing
  ]);
  expect(result).toEqual({
    recharges: 3,
    chargedCents: 1200,
    capReachedAt: iso(at(2)),
    minAvailableCredits: -400,
    finalAvailableCredits: -100,
    periods: [{ start: iso(FROM), end: iso(TO), recharges: 3, capReachedAt: iso(at(2)) }],
  });
});

test('a renewal inside the window resets the count and the plan pool; recorded auto-recharges are left out', () => {
  const entries: SimulationEntry[] = [
    usage('e1', 200, 1, 'plan'), // plan 100 + wallet 100 = 200 < 250: recharge -> 300 (count 1)
    entry('auto_recharge', 'wallet', 500, 1.5), // what the recorded settings did: left out
    // One usage event of 150 recorded over both pools: one debit, plan first (plan 100 -> 0, wallet 200 -> 150).
    usage('e2', 100, 2, 'plan'),
    usage('e2', 50, 2, 'wallet'),
    // available 150: recharge -> 250 (count 2 = cap: capReachedAt)
    usage('e3', 100, 3), // 150: capped
    // Recorded plan pool: 300 - 200 - 100 = 0, renewed to 300: the replay's plan pool is set to 300.
    entry('plan_renewal', 'plan', 300, 4),
    entry('top_up', 'wallet', 100, 5), // a manual top-up, kept: wallet 250
    usage('e4', 300, 6, 'plan'),
    usage('e4', 200, 6, 'wallet'), // 500 plan-first: plan 0, wallet 50: recharges -> 150 -> 250 (count 2 = cap again)
  ];
  const result = simulatePolicy(
    input({ startPools: { planRemaining: 300, wallet: 100 }, policy: { thresholdCredits: 250, rechargeCredits: 100, maxRechargesPerMonth: 2 } }),
    entries,
  );
  expect(result).toEqual({
    recharges: 4,
    chargedCents: 800,
    capReachedAt: iso(at(2)),
    minAvailableCredits: 50,
    finalAvailableCredits: 250,
    periods: [
      { start: iso(FROM), end: iso(at(4)), recharges: 2, capReachedAt: iso(at(2)) },
      { start: iso(at(4)), end: iso(TO), recharges: 2, capReachedAt: iso(at(6)) },
    ],
  });
});

test('an event an agent over its monthly limit paid from the wallet is replayed from the wallet, as record_usage split it', () => {
  const entries: SimulationEntry[] = [
    // Plan credits remained, but the agent was over its limit: recorded from the wallet only.
    usage('e1', 300, 1, 'wallet'), // wallet -200, plan 500: available 300 < 900: recharges -> 800 -> 1300 (wallet 800)
    entry('plan_renewal', 'plan', 500, 2), // the recorded plan pool 500 -> 1000: available 1800
    usage('e2', 1000, 3, 'plan'), // plan 0, wallet 800: 800 < 900: one recharge -> 1300
  ];
  const result = simulatePolicy(input({ startPools: { planRemaining: 500, wallet: 100 }, policy: { thresholdCredits: 900, rechargeCredits: 500, maxRechargesPerMonth: 10 } }), entries);
  // Re-spent plan-first, e1 would have left the wallet 200 credits higher after the renewal, and e2 no recharge.
  expect(result).toMatchObject({ recharges: 3, minAvailableCredits: 300, finalAvailableCredits: 1300 });
});

test('renewal instants without a ledger entry start periods too; an entry at the instant belongs to the new one', () => {
  const policy = { thresholdCredits: 500, rechargeCredits: 500, maxRechargesPerMonth: 1 };
  const entries = [usage('e1', 600, 1), usage('e2', 500, 10), usage('e3', 500, 20)];
  // Without renewals: e1 -> 400, recharge -> 900 (cap); e2 -> 400; e3 -> -100.
  expect(simulatePolicy(input({ policy }), entries)).toMatchObject({ recharges: 1, finalAvailableCredits: -100, capReachedAt: iso(at(1)) });
  // A renewal at hour 10 (and one before the window, ignored): e2 recharges again -> 900; e3 -> 400.
  const result = simulatePolicy(input({ policy, renewals: [at(10), FROM - HOUR] }), entries);
  expect(result).toEqual({
    recharges: 2,
    chargedCents: 2000,
    capReachedAt: iso(at(1)),
    minAvailableCredits: 400,
    finalAvailableCredits: 400,
    periods: [
      { start: iso(FROM), end: iso(at(10)), recharges: 1, capReachedAt: iso(at(1)) },
      { start: iso(at(10)), end: iso(TO), recharges: 1, capReachedAt: iso(at(10)) },
    ],
  });
});

test('a renewal given as an instant and recorded as a plan_renewal at the same instant is one period', () => {
  const result = simulatePolicy(input({ startPools: { planRemaining: 0, wallet: 0 }, renewals: [at(5)] }), [
    entry('plan_renewal', 'plan', 1000, 5),
    usage('e1', 600, 6, 'plan'), // 400: recharges -> 600
  ]);
  expect(result.periods).toEqual([
    { start: iso(FROM), end: iso(at(5)), recharges: 0, capReachedAt: null },
    { start: iso(at(5)), end: iso(TO), recharges: 1, capReachedAt: null },
  ]);
  expect(result).toMatchObject({ recharges: 1, chargedCents: 400, minAvailableCredits: 400, finalAvailableCredits: 600 });
});

test('no debit in the window: no recharge, minAvailableCredits null, allocations and adjustments kept', () => {
  const result = simulatePolicy(input({ startPools: { planRemaining: 100, wallet: -50 } }), [
    entry('allocation', 'wallet', 300, 1),
    entry('adjustment', 'plan', -40, 2),
    entry('auto_recharge', 'wallet', 1000, 3),
  ]);
  expect(result).toEqual({
    recharges: 0,
    chargedCents: 0,
    capReachedAt: null,
    minAvailableCredits: null,
    finalAvailableCredits: 310,
    periods: [{ start: iso(FROM), end: iso(TO), recharges: 0, capReachedAt: null }],
  });
});

test('the recorded history under the same settings is what the replay gives back', () => {
  // Live: threshold 500, recharge 200. Usage of 700 left 300 (< 500): one recharge recorded, to 500.
  const recorded = [usage('e1', 700, 1), entry('auto_recharge', 'wallet', 200, 1.01), usage('e2', 100, 2), entry('auto_recharge', 'wallet', 200, 2.01)];
  const result = simulatePolicy(input({}), recorded);
  expect(result).toMatchObject({ recharges: 2, chargedCents: 800, minAvailableCredits: 300, finalAvailableCredits: 600 });
});

test('prices round up per recharge, as a top-up of that size is charged', () => {
  const result = simulatePolicy(input({ policy: { thresholdCredits: 1000, rechargeCredits: 333, maxRechargesPerMonth: 5 }, pricePer1000CreditsCents: 2001 }), [usage('e1', 100, 1)]);
  // 900 -> 1233 (one recharge); ceil(333 * 2001 / 1000) = ceil(666.333) = 667.
  expect(result).toMatchObject({ recharges: 1, chargedCents: 667, finalAvailableCredits: 1233 });
});

test('streams a month of a busy organization in linear time', () => {
  const simulation = createPolicySimulation(input({ startPools: { planRemaining: 0, wallet: 0 }, policy: { thresholdCredits: 1000, rechargeCredits: 5000, maxRechargesPerMonth: 100 } }));
  const n = 500_000;
  const started = performance.now();
  for (let i = 0; i < n; i++) simulation.add({ kind: 'usage', pool: 'wallet', credits: -1, at: FROM + i * 5000, ref: `e${i}` });
  const result = simulation.result();
  const ms = performance.now() - started;
  // Starts at 0: the first debit (-1) recharges once (4999); every 5,000 debits after it once more, up to the cap.
  // The lowest is that first debit; 100 recharges of 5,000 cover the 500,000 debited.
  expect(result).toMatchObject({ recharges: 100, chargedCents: 100 * 10_000, minAvailableCredits: -1, finalAvailableCredits: 0 });
  expect(ms).toBeLessThan(2000);
});

test('grants: spent after the plan and before the wallet, and an expiry below the threshold recharges', () => {
  // Start: 0 plan, 300 in grants, 400 in the wallet (700 available). A usage event takes 100 from the
  // grant (600: no recharge), then the grant's 200 left expire: 400 < 500, one recharge of 200.
  const result = simulatePolicy(input({ startPools: { planRemaining: 0, grants: 300, wallet: 400 } }), [
    usage('e1', 100, 2, 'grant'),
    entry('expiry', 'grant', -200, 4, 'g1'),
  ]);
  expect(result).toMatchObject({ recharges: 1, minAvailableCredits: 600, finalAvailableCredits: 600 });
  // The same without the expiry: nothing to recharge.
  expect(simulatePolicy(input({ startPools: { planRemaining: 0, grants: 300, wallet: 400 } }), [usage('e1', 100, 2, 'grant')])).toMatchObject({ recharges: 0, finalAvailableCredits: 600 });
});
