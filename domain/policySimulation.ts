// Policy simulation (POST /auto-recharge/simulate): what proposed auto-recharge settings would have
// done over a window of the recorded ledger. Pure and streaming: entries are fed one at a time in
// ledger order (ledger_entries.id), so a month of a busy organization needs constant memory and
// linear time. Integers only.
//
// The replay:
//  1. starts from the pools' ledger sums just before `from`, and a recharge count of 0 (recharges
//     made before `from` under the proposed policy are unknown: the window's first period counts
//     only what the replay itself recharges);
//  2. leaves recorded auto_recharge entries out, and keeps top-ups, allocations, adjustments, and
//     grants given, expired and voided as recorded (their delta). A plan_renewal sets the replayed plan pool to the allowance, read as
//     the recorded plan pool after the renewal (a running sum of the recorded plan entries);
//  3. re-spends each usage event as record_usage does (splitDebit: plan, grants, wallet). A usage
//     event recorded as plan, grant and wallet entries under one ref (adjacent in the ledger) is one
//     debit of its total. The replayed grant pool is the recorded one (recharges fill only the wallet). The
//     ledger does not say whose event it was, nor that agent's limit then, but it says what the event
//     took from the plan, and the replayed plan pool is the recorded one (recharges fill only the
//     wallet): that is the agent's headroom the live debit applied (an agent over its monthly limit
//     spends the wallet only);
//  4. after each usage debit, grant expiry and grant void applies the proposed policy as the live rule does (rechargeDecision):
//     while available < threshold and this period's count < the cap, recharge what the mode buys
//     at that balance (rechargeCreditsFor: `rechargeCredits`, or up to the target), repeating.
//     Every recharge succeeds, at topUpAmountCents(its credits, price) each;
//  5. starts a new period (count 0) at each renewal: the instants given in `renewals`, and any
//     plan_renewal entry not at one of them. An entry at a renewal's instant belongs to the new period.
import { rechargeCreditsFor, type AutoRechargeSettings } from './autoRecharge';
import { splitDebit, type Pools } from './pools';
import { topUpAmountCents } from './pricing';
import type { LedgerKind, Pool } from './ledger';

export interface SimulationPolicy {
  thresholdCredits: number;
  rechargeCredits: number;
  maxRechargesPerMonth: number;
  mode?: AutoRechargeSettings['mode'];
  targetCredits?: number;
}

export interface SimulationEntry {
  kind: LedgerKind;
  pool: Pool;
  credits: number;
  /** Epoch ms. */
  at: number;
  ref: string;
}

export interface SimulationInput {
  /** Each pool's ledger sum just before `from`. */
  startPools: Pools;
  policy: SimulationPolicy;
  pricePer1000CreditsCents: number;
  /** The price book's minimum top-up: the least a to_target recharge buys. */
  minTopUpCredits: number;
  /** Epoch ms; the window is [from, to). */
  from: number;
  to: number;
  /** Instants a new billing period started in the window (epoch ms), in any order. */
  renewals?: readonly number[];
}

export interface SimulatedPeriod {
  start: string;
  end: string;
  recharges: number;
  capReachedAt: string | null;
}

export interface SimulationResult {
  recharges: number;
  chargedCents: number;
  /** The first debit at which the count reached the cap, or null. */
  capReachedAt: string | null;
  /** The lowest available balance after any debit, before the recharges it triggers; null with no debit in the window. */
  minAvailableCredits: number | null;
  finalAvailableCredits: number;
  periods: SimulatedPeriod[];
}

export interface PolicySimulation {
  /** The next ledger entry of the window, in ledger order. */
  add(entry: SimulationEntry): void;
  /** The answer once every entry was added (the simulation may not be fed afterwards). */
  result(): SimulationResult;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function createPolicySimulation(input: SimulationInput): PolicySimulation {
  const { policy, from, to } = input;
  const renewals = [...new Set(input.renewals ?? [])].filter((t) => t > from && t < to).sort((a, b) => a - b);
  let nextRenewal = 0;

  let plan = input.startPools.planRemaining;
  let grants = input.startPools.grants ?? 0;
  let wallet = input.startPools.wallet;
  let recordedPlan = plan;
  let recharges = 0;
  let chargedCents = 0;
  let minAvailable: number | null = null;
  const periods: Array<{ start: number; recharges: number; capReachedAt: number | null }> = [{ start: from, recharges: 0, capReachedAt: null }];
  let period = periods[0];

  // The usage event being gathered: its entries share a ref and are adjacent.
  let pendingRef: string | null = null;
  let pendingCredits = 0;
  let pendingPlanCredits = 0;
  let pendingAt = 0;
  let finished = false;

  const startPeriod = (at: number) => {
    if (at <= period.start) return;
    period = { start: at, recharges: 0, capReachedAt: null };
    periods.push(period);
  };

  const reachTime = (at: number) => {
    while (nextRenewal < renewals.length && renewals[nextRenewal] <= at) startPeriod(renewals[nextRenewal++]);
  };

  const debit = (credits: number, recordedPlanCredits: number, at: number) => {
    const split = splitDebit({ planRemaining: plan, grants, wallet }, credits, recordedPlanCredits);
    plan -= split.plan;
    grants -= split.grants;
    wallet -= split.wallet;
    if (minAvailable === null || plan + grants + wallet < minAvailable) minAvailable = plan + grants + wallet;
    recharge(at);
  };

  /** The proposed policy after available fell (a debit, or a grant expired or voided), as the live crossing rule applies it. */
  const recharge = (at: number) => {
    let availableNow = plan + grants + wallet;
    while (availableNow < policy.thresholdCredits && period.recharges < policy.maxRechargesPerMonth) {
      const credits = rechargeCreditsFor(policy, availableNow, input.minTopUpCredits);
      wallet += credits;
      availableNow += credits;
      chargedCents += topUpAmountCents(credits, input.pricePer1000CreditsCents);
      period.recharges++;
      recharges++;
      if (period.recharges === policy.maxRechargesPerMonth && period.capReachedAt === null) period.capReachedAt = at;
    }
  };

  const flush = () => {
    if (pendingRef === null) return;
    const credits = pendingCredits;
    const planCredits = pendingPlanCredits;
    pendingRef = null;
    pendingCredits = 0;
    pendingPlanCredits = 0;
    debit(credits, planCredits, pendingAt);
  };

  return {
    add(entry) {
      if (finished) throw new Error('the simulation has finished');
      if (entry.pool === 'plan') recordedPlan += entry.credits;
      if (entry.kind === 'usage') {
        if (pendingRef !== null && (pendingRef !== entry.ref || pendingAt !== entry.at)) flush();
        reachTime(entry.at);
        if (pendingRef === null) {
          pendingRef = entry.ref;
          pendingAt = entry.at;
        }
        pendingCredits -= entry.credits; // usage entries are negative
        if (entry.pool === 'plan') pendingPlanCredits -= entry.credits;
        return;
      }
      flush();
      reachTime(entry.at);
      switch (entry.kind) {
        case 'auto_recharge':
          return; // replaced by the proposed policy's recharges
        case 'plan_renewal':
          startPeriod(entry.at);
          plan = recordedPlan;
          return;
        default: // top_up, allocation, adjustment, grant, expiry, grant_void: as recorded
          if (entry.pool === 'plan') plan += entry.credits;
          else if (entry.pool === 'grant') grants += entry.credits;
          else wallet += entry.credits;
          if (entry.kind === 'expiry' || entry.kind === 'grant_void') recharge(entry.at);
      }
    },

    result() {
      if (!finished) {
        flush();
        finished = true;
        reachTime(to - 1);
      }
      const firstCap = periods.find((p) => p.capReachedAt !== null)?.capReachedAt ?? null;
      return {
        recharges,
        chargedCents,
        capReachedAt: firstCap === null ? null : iso(firstCap),
        minAvailableCredits: minAvailable,
        finalAvailableCredits: plan + grants + wallet,
        periods: periods.map((p, i) => ({
          start: iso(p.start),
          end: iso(i + 1 < periods.length ? periods[i + 1].start : to),
          recharges: p.recharges,
          capReachedAt: p.capReachedAt === null ? null : iso(p.capReachedAt),
        })),
      };
    },
  };
}

/** The whole simulation in one call, over entries in ledger order. */
export function simulatePolicy(input: SimulationInput, entries: Iterable<SimulationEntry>): SimulationResult {
  const simulation = createPolicySimulation(input);
  for (const entry of entries) simulation.add(entry);
  return simulation.result();
}
