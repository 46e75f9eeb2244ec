-- Each crossing that marks a signal pending gets a generation number: the API clears the flag
-- only for the generation it signalled, so clearing one crossing's signal can never erase a
-- later crossing's (whose own signal may have failed and waits for the sweep).
ALTER TABLE balances ADD COLUMN signal_gen bigint NOT NULL DEFAULT 0;

DROP FUNCTION record_usage(text, text[], text[], text[], bigint[], bigint[], timestamptz[]);

-- As in migration 4; it also returns the signal's generation.
CREATE FUNCTION record_usage(
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
  low boolean;
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
    SELECT i.id, i.agent_id, i.credits, SUM(i.credits) OVER (ORDER BY i.ord) AS cum
    FROM input i JOIN inserted ON inserted.id = i.id
  ), split AS (
    SELECT a.id, a.agent_id, a.credits, a.cum,
           LEAST(a.credits, GREATEST(GREATEST(b.plan_remaining, 0) - (a.cum - a.credits), 0)) AS plan
    FROM applied a
  ), ledger AS (
    INSERT INTO ledger_entries (org_id, at, kind, pool, credits, ref)
    SELECT p_org, now(), 'usage', e.pool, e.credits, e.ref FROM (
      SELECT 'plan' AS pool, -s.plan AS credits, s.id AS ref, s.cum FROM split s WHERE s.plan > 0
      UNION ALL
      SELECT 'top_up', -(s.credits - s.plan), s.id, s.cum FROM split s WHERE s.credits > s.plan
    ) e ORDER BY e.cum, e.pool
  ), spend AS (
    INSERT INTO agent_spend (org_id, period, agent_id, spent)
    SELECT p_org, b.period, s.agent_id, SUM(s.credits) FROM split s GROUP BY s.agent_id
    ON CONFLICT (org_id, period, agent_id) DO UPDATE SET spent = agent_spend.spent + EXCLUDED.spent
  )
  SELECT count(*)::integer, COALESCE(SUM(s.plan), 0), COALESCE(SUM(s.credits), 0),
         (SELECT s2.id FROM split s2 WHERE b.plan_remaining + b.top_up - s2.cum < b.threshold_credits ORDER BY s2.cum LIMIT 1)
    INTO n, plan_total, credit_total, first_below
  FROM split s;

  after_credits := b.plan_remaining + b.top_up - credit_total;
  IF n = 0 THEN
    RETURN QUERY SELECT 0, after_credits, NULL::text, false, b.signal_gen;
    RETURN;
  END IF;

  low := after_credits < b.threshold_credits AND NOT b.low_notified;
  IF low THEN
    INSERT INTO events (org_id, seq, type, at, message, data)
    VALUES (p_org, b.event_seq + 1, 'balance.low', now(),
            format('Available credits (%s) fell below %s.', after_credits, b.threshold_credits),
            jsonb_build_object('availableCredits', after_credits, 'thresholdCredits', b.threshold_credits));
  END IF;

  UPDATE balances SET
    plan_remaining = b.plan_remaining - plan_total,
    top_up = b.top_up - (credit_total - plan_total),
    low_notified = b.low_notified OR low,
    event_seq = b.event_seq + CASE WHEN low THEN 1 ELSE 0 END,
    signal_pending = b.signal_pending OR (low AND b.auto_recharge_enabled),
    signal_gen = b.signal_gen + CASE WHEN low AND b.auto_recharge_enabled THEN 1 ELSE 0 END,
    updated_at = now()
  WHERE balances.org_id = p_org;

  RETURN QUERY SELECT n, after_credits, CASE WHEN low THEN first_below END, low AND b.auto_recharge_enabled,
    b.signal_gen + CASE WHEN low AND b.auto_recharge_enabled THEN 1 ELSE 0 END;
END;
$$;
