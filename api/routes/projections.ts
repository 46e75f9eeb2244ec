// Seeing ahead: what proposed auto-recharge settings would have done (a replay of the ledger), and
// the burn-rate forecast. Both read PostgreSQL only; they change nothing and charge nothing.
import { Router } from 'express';
import { burnBasis, burnForecast, BURN_WINDOW_MS, DAY_MS } from '../../domain/burnForecast';
import { readForecastSource, simulateFromLedger } from '../../store/ledger';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { ApiError, notFound } from '../errors';
import { MAX_SIMULATION_WINDOW_DAYS, parse } from '../schemas';

/** The window when none is given: the last 30 days. */
export const DEFAULT_SIMULATION_DAYS = 30;

export function projectionRoutes({ orgs, heavyReads, schemas, settings }: ApiContext): Router {
  const router = Router();

  router.post('/v1/orgs/:org/auto-recharge/simulate', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    const body = parse(schemas.simulate, req.body);
    const to = body.to !== undefined ? Date.parse(body.to) : Date.now();
    const from = body.from !== undefined ? Date.parse(body.from) : to - DEFAULT_SIMULATION_DAYS * DAY_MS;
    if (!(from < to)) throw new ApiError(422, 'validation_failed', 'from: must be before to (to defaults to now)');
    if (to - from > MAX_SIMULATION_WINDOW_DAYS * DAY_MS) throw new ApiError(422, 'validation_failed', `from: the window is at most ${MAX_SIMULATION_WINDOW_DAYS} days`);
    // rechargeCredits is only left out with to_target, which does not use it.
    const { thresholdCredits, rechargeCredits = 0, maxRechargesPerMonth, mode, targetCredits } = body;
    const policy = { thresholdCredits, rechargeCredits, maxRechargesPerMonth, mode, targetCredits };
    const { creditPricePer1000Cents, minTopUpCredits } = settings.rules;
    const result = await heavyReads.run(org.id, (db) => simulateFromLedger(db, { orgId: org.id, policy, pricePer1000CreditsCents: creditPricePer1000Cents, minTopUpCredits, from, to }));
    const { periods, ...totals } = result;
    res.json({ ...totals, from: new Date(from).toISOString(), to: new Date(to).toISOString(), periods });
  });

  router.get('/v1/orgs/:org/forecast', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    const now = Date.now();
    const source = await heavyReads.run(org.id, (db) => readForecastSource(db, org.id, now - BURN_WINDOW_MS, now));
    if (!source) throw notFound();
    const forecast = burnForecast({
      now,
      availableCredits: source.availableCredits,
      usageCredits: source.usageCredits,
      basis: burnBasis(now, source.firstUsageAt),
      settings: source.autoRecharge,
      minTopUpCredits: settings.rules.minTopUpCredits,
      rechargesUsedThisMonth: source.counters.rechargesUsedThisMonth,
      nextRenewalAt: source.subscription ? Date.parse(source.subscription.currentPeriodEnd) : null,
      expiries: source.expiries,
    });
    res.json(forecast);
  });

  return router;
}
