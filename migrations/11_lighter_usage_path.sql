-- The usage path, lighter per event (issue 17: the bench ratios must not drop).

-- daily_usage is kept by record_usage itself, one upsert per request from the split's totals,
-- instead of a statement trigger reading a transition table of the batch's entries: only
-- record_usage writes usage entries, under the organization's balance lock.
DROP TRIGGER ledger_entries_daily_usage ON ledger_entries;
DROP FUNCTION add_daily_usage();

-- A usage entry is unique by construction: record_usage writes one per pool for an event it has
-- just inserted, and usage_events' primary key refuses an event id twice. The (org, kind, pool,
-- ref) uniqueness that makes every other entry idempotent need not be checked again for usage,
-- the ledger's most frequent entry.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_org_kind_pool_ref;
CREATE UNIQUE INDEX ledger_entries_org_kind_pool_ref ON ledger_entries (org_id, kind, pool, ref) WHERE kind <> 'usage';

-- record_usage as in migration 7, doing less when nothing of the batch is limited: only the
-- batch's agents that have a monthly limit get the per-agent running sum (an agent without one may
-- take all of an event from the plan), and one window gives both the running total and the plan
-- each event takes. It also keeps daily_usage. The rules are unchanged: each event's plan part is
-- bounded by its agent's headroom (its monthly limit less its spend this period before the event,
-- earlier events of the batch included), so an agent at or over its limit spends the wallet only
-- (spec §6); plan credits go to the events in order while they last; the rest comes from the
-- wallet, which may go negative. domain/pools.ts splitDebit mirrors the split
-- (test/store/debitSplit.test.ts).
CREATE OR REPLACE FUNCTION record_usage(
  p_org text, p_ids text[], p_agents text[], p_meters text[], p_quantities bigint[], p_credits bigint[], p_occurred timestamptz[]
) RETURNS TABLE (recorded integer, available_after bigint, crossed_by text, signal_workflow boolean, signal_generation bigint)
LANGUAGE plpgsql AS $$
DECLARE
  b balances%ROWTYPE;
  n integer;
  plan_total bigint;
  credit_total bigint;
  first_below text;
  after_credits bigint;
  low record;
  signal boolean;
BEGIN
  SELECT * INTO b FROM balances WHERE balances.org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'organization % has no balance row', p_org USING ERRCODE = 'BL001';
  END IF;

  WITH input AS (
    SELECT DISTINCT ON (t.id) t.* FROM unnest(p_ids, p_agents, p_meters, p_quantities, p_credits, p_occurred)
      WITH ORDINALITY AS t(id, agent_id, meter, quantity, credits, occurred_at, ord)
    ORDER BY t.id, t.ord
  ), inserted AS (
    INSERT INTO usage_events (org_id, id, agent_id, meter, quantity, credits, occurred_at, recorded_at)
    SELECT p_org, i.id, i.agent_id, i.meter, i.quantity, i.credits, i.occurred_at, now() FROM input i
    ON CONFLICT (org_id, id) DO NOTHING
    RETURNING usage_events.id
  ), applied AS (
    SELECT i.id, i.agent_id, i.credits, i.ord FROM input i JOIN inserted ON inserted.id = i.id
  ), limited AS (
    -- The batch's agents that have a limit, and what they may still take from the plan before the batch.
    SELECT s.agent_id, s.monthly_limit_credits - COALESCE(sp.spent, 0) AS headroom
    FROM agent_settings s
    LEFT JOIN agent_spend sp ON sp.org_id = p_org AND sp.period = b.period AND sp.agent_id = s.agent_id
    WHERE s.org_id = p_org AND s.agent_id = ANY (p_agents) AND s.monthly_limit_credits IS NOT NULL
  ), capped AS (
    -- What each event of a limited agent may take from the plan.
    SELECT a.id, LEAST(a.credits, GREATEST(l.headroom - (SUM(a.credits) OVER (PARTITION BY a.agent_id ORDER BY a.ord) - a.credits), 0)) AS eligible
    FROM applied a JOIN limited l ON l.agent_id = a.agent_id
  ), eligible AS (
    SELECT a.id, a.agent_id, a.credits, a.ord, COALESCE(c.eligible, a.credits) AS eligible
    FROM applied a LEFT JOIN capped c ON c.id = a.id
  ), split AS (
    -- Plan credits go to the events in order, each taking what it is eligible for while they last.
    SELECT e.id, e.agent_id, e.credits, SUM(e.credits) OVER w AS cum,
           LEAST(e.eligible, GREATEST(GREATEST(b.plan_remaining, 0) - (SUM(e.eligible) OVER w - e.eligible), 0)) AS plan
    FROM eligible e WINDOW w AS (ORDER BY e.ord)
  ), ledger AS (
    INSERT INTO ledger_entries (org_id, at, kind, pool, credits, ref)
    SELECT p_org, now(), 'usage', e.pool, e.credits, e.ref FROM (
      SELECT 'plan' AS pool, -s.plan AS credits, s.id AS ref, s.cum FROM split s WHERE s.plan > 0
      UNION ALL
      SELECT 'wallet', -(s.credits - s.plan), s.id, s.cum FROM split s WHERE s.credits > s.plan
    ) e ORDER BY e.cum, e.pool
  ), spend AS (
    INSERT INTO agent_spend (org_id, period, agent_id, spent)
    SELECT p_org, b.period, s.agent_id, SUM(s.credits) FROM split s GROUP BY s.agent_id
    ON CONFLICT (org_id, period, agent_id) DO UPDATE SET spent = agent_spend.spent + EXCLUDED.spent
  )
  SELECT count(*)::integer, COALESCE(SUM(s.plan), 0), COALESCE(SUM(s.credits), 0),
         (SELECT s2.id FROM split s2 WHERE b.plan_remaining + b.wallet - s2.cum < b.threshold_credits ORDER BY s2.cum LIMIT 1)
    INTO n, plan_total, credit_total, first_below
  FROM split s;

  after_credits := b.plan_remaining + b.wallet - credit_total;
  IF n = 0 THEN
    RETURN QUERY SELECT 0, after_credits, NULL::text, false, b.signal_gen;
    RETURN;
  END IF;

  SELECT * INTO low FROM note_balance_low(p_org, after_credits, b.threshold_credits, b.low_notified, b.event_seq, now());
  signal := low.crossed AND b.auto_recharge_enabled;

  -- The day is the ledger entries' (their `at` is now()).
  INSERT INTO daily_usage AS d (org_id, day, plan_credits, wallet_credits)
  VALUES (p_org, (now() AT TIME ZONE 'UTC')::date, plan_total, credit_total - plan_total)
  ON CONFLICT (org_id, day) DO UPDATE
    SET plan_credits = d.plan_credits + EXCLUDED.plan_credits, wallet_credits = d.wallet_credits + EXCLUDED.wallet_credits;

  UPDATE balances SET
    plan_remaining = b.plan_remaining - plan_total,
    wallet = b.wallet - (credit_total - plan_total),
    low_notified = low.low_notified,
    event_seq = low.event_seq,
    signal_pending = b.signal_pending OR signal,
    signal_gen = b.signal_gen + CASE WHEN signal THEN 1 ELSE 0 END,
    updated_at = now()
  WHERE balances.org_id = p_org;

  RETURN QUERY SELECT n, after_credits, CASE WHEN low.crossed THEN first_below END, signal,
    b.signal_gen + CASE WHEN signal THEN 1 ELSE 0 END;
END;
$$;
