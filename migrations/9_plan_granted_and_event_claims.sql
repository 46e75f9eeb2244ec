-- Plan credits used this period, and provider events claimed before they are acted on.

-- The plan credits the period put into the plan pool: set by a renewal to the allowance, and by a
-- plan change to what is left plus what was used. Only usage moves the plan pool otherwise, taking
-- from it what it spends, so plan_granted - plan_remaining is what this period used: a plan lowered
-- and raised again gives the new allowance less that, never the spent credits back. Written by the
-- workflow's commits only (store/commitBilling.ts); record_usage does not need it.
ALTER TABLE balances ADD COLUMN plan_granted bigint NOT NULL DEFAULT 0;
-- Existing periods: what the previous rule (the remainder moves by the difference) assumed.
UPDATE balances b
   SET plan_granted = GREATEST(b.plan_remaining, LEAST(COALESCE((r.subscription ->> 'planCredits')::numeric, 0), 9223372036854775807)::bigint)
  FROM org_billing r
 WHERE r.org_id = b.org_id;
UPDATE balances SET plan_granted = plan_remaining WHERE plan_granted < plan_remaining;

-- A provider event is claimed before it is acted on: concurrent deliveries of one event id act once.
-- NULL: acted on. Otherwise the claim holds until then; a process that died holding it lets a
-- later delivery claim it again. Rows from before were recorded after acting, so they stay NULL.
ALTER TABLE webhook_events ADD COLUMN claimed_until timestamptz;
