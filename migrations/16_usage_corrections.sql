-- Usage events listed and corrected (issue 19 §3): each event carries how it was split across the
-- pools, the period it was recorded in, and where its batch's ledger entries lie, so the list reads
-- one table and a void finds the event's entries in a bounded range; a voided event keeps its row
-- (its id stays used).

ALTER TABLE usage_events
  -- The balance's period when it was recorded (balances.period): plan credits come back to the
  -- plan only in that period. NULL for events recorded before this migration.
  ADD COLUMN period bigint,
  ADD COLUMN plan_credits bigint,
  ADD COLUMN grant_credits bigint,
  ADD COLUMN wallet_credits bigint,
  -- The first and last ledger entry ids of the request that recorded it: the event's usage entries
  -- (which grants it took from) lie between, so a void reads them without an index on ref, and the
  -- request pays one aggregate rather than a per-event record of its grants (NULL: no entries).
  ADD COLUMN ledger_from bigint,
  ADD COLUMN ledger_to bigint,
  ADD COLUMN voided_at timestamptz,
  ADD COLUMN void_reason text;

-- The splits of events recorded before this migration, from their ledger entries.
UPDATE usage_events u SET
  plan_credits = l.plan, grant_credits = l.grants, wallet_credits = l.wallet, ledger_from = l.first, ledger_to = l.last
FROM (
  SELECT e.org_id, e.ref,
         -SUM(e.credits) FILTER (WHERE e.pool = 'plan') AS plan,
         -SUM(e.credits) FILTER (WHERE e.pool = 'grant') AS grants,
         -SUM(e.credits) FILTER (WHERE e.pool = 'wallet') AS wallet,
         MIN(e.id) AS first, MAX(e.id) AS last
  FROM ledger_entries e WHERE e.kind = 'usage' GROUP BY e.org_id, e.ref
) l
WHERE u.org_id = l.org_id AND u.id = l.ref;
UPDATE usage_events SET plan_credits = COALESCE(plan_credits, 0), grant_credits = COALESCE(grant_credits, 0), wallet_credits = COALESCE(wallet_credits, 0);
ALTER TABLE usage_events
  ALTER COLUMN plan_credits SET NOT NULL,
  ALTER COLUMN grant_credits SET NOT NULL,
  ALTER COLUMN wallet_credits SET NOT NULL,
  ADD CONSTRAINT usage_events_split CHECK (plan_credits + grant_credits + wallet_credits = credits),
  ADD CONSTRAINT usage_events_void_reason CHECK ((voided_at IS NULL) = (void_reason IS NULL));

-- GET /usage: an organization's events newest first by occurredAt (a scan backwards; ties, sorted
-- by id, are a batch's at most). Without the id in the key: with it, the index cost the usage
-- request 13% (paired pgbench), without it 2-3%.
CREATE INDEX usage_events_by_occurred ON usage_events (org_id, occurred_at);

-- A void gives each pool back what the event took from it: 'usage_void' entries, named by the
-- event's id like its usage entries. Like those, they are unique by construction (written once,
-- when the event's voided_at is set under the balance lock), so the (org, kind, pool, ref) index
-- leaves them out: an event that took from two grants gives two grant entries back.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
  CHECK (kind IN ('usage', 'usage_void', 'plan_renewal', 'top_up', 'auto_recharge', 'allocation', 'adjustment', 'refund', 'dispute', 'dispute_reversal',
                  'grant', 'expiry', 'grant_void'));
DROP INDEX ledger_entries_org_kind_pool_ref;
CREATE UNIQUE INDEX ledger_entries_org_kind_pool_ref ON ledger_entries (org_id, kind, pool, ref) WHERE kind NOT IN ('usage', 'usage_void');

-- record_usage as in the credit grants' migration, with each event's split, period and ledger range
-- on its row. The split must be of the events not seen before, and the row is written with it, so
-- the ids seen before must be known first. Looking them up costs a probe per event (and a plan of
-- that lookup cached while the table was small can scan the organization's events), so the usual
-- case, a batch of new ids, is taken on trust: every event is split and inserted ON CONFLICT DO
-- NOTHING (the primary key's own check, whatever the plan), and a batch in which any id was seen
-- before raises BL002, undoing the statement; the caller then calls again with p_seen_before, which
-- looks each id up under the balance lock (every insert into usage_events is record_usage's, under
-- that lock, so none can appear in between).
DROP FUNCTION record_usage(text, text[], text[], text[], bigint[], bigint[], timestamptz[]);
CREATE FUNCTION record_usage(
  p_org text, p_ids text[], p_agents text[], p_meters text[], p_quantities bigint[], p_credits bigint[], p_occurred timestamptz[],
  p_seen_before boolean DEFAULT false
) RETURNS TABLE (recorded integer, available_after bigint, crossed_by text, signal_workflow boolean, signal_generation bigint)
LANGUAGE plpgsql AS $$
DECLARE
  b balances%ROWTYPE;
  n integer;
  plan_total bigint;
  grant_total bigint;
  credit_total bigint;
  first_below text;
  before_credits bigint;
  after_credits bigint;
  low record;
  signal boolean;
  inserted_count integer;
BEGIN
  SELECT * INTO b FROM balances WHERE balances.org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'organization % has no balance row', p_org USING ERRCODE = 'BL001';
  END IF;
  before_credits := available_credits(b);

  WITH input AS (
    SELECT DISTINCT ON (t.id) t.* FROM unnest(p_ids, p_agents, p_meters, p_quantities, p_credits, p_occurred)
      WITH ORDINALITY AS t(id, agent_id, meter, quantity, credits, occurred_at, ord)
    ORDER BY t.id, t.ord
  ), applied AS (
    -- Only when the caller knows the batch has ids seen before is each id looked up: a scalar
    -- subquery, one primary-key probe per event, never an anti-join planned as a scan.
    SELECT i.* FROM input i
    WHERE NOT p_seen_before OR (SELECT true FROM usage_events u WHERE u.org_id = p_org AND u.id = i.id) IS NULL
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
    SELECT a.*, COALESCE(c.eligible, a.credits) AS eligible
    FROM applied a LEFT JOIN capped c ON c.id = a.id
  ), planned AS (
    -- Plan credits go to the events in order, each taking what it is eligible for while they last.
    SELECT e.*, SUM(e.credits) OVER w AS cum,
           LEAST(e.eligible, GREATEST(GREATEST(b.plan_remaining, 0) - (SUM(e.eligible) OVER w - e.eligible), 0)) AS plan
    FROM eligible e WINDOW w AS (ORDER BY e.ord)
  ), rest AS (
    -- Each event's rest ends at rest_end on the line of the batch's rests.
    SELECT p.*, p.credits - p.plan AS rest, SUM(p.credits - p.plan) OVER (ORDER BY p.ord) AS rest_end FROM planned p
  ), grants AS (
    -- The live grants in spend order, each ending at upto on the line of their remainders.
    SELECT g.id, g.remaining, SUM(g.remaining) OVER (ORDER BY g.priority, g.expires_at, g.seq) AS upto
    FROM credit_grants g
    WHERE b.grant_credits > 0 AND g.org_id = p_org AND g.remaining > 0 AND g.expired_at IS NULL AND g.voided_at IS NULL
      AND (g.expires_at IS NULL OR g.expires_at > now())
  ), taken AS (
    SELECT r.id AS event_id, r.ord, g.id AS grant_id, g.upto,
           LEAST(r.rest_end, g.upto) - GREATEST(r.rest_end - r.rest, g.upto - g.remaining) AS credits
    FROM rest r JOIN grants g ON r.rest_end > g.upto - g.remaining AND r.rest_end - r.rest < g.upto
  ), split AS (
    -- The wallet takes the part of each rest beyond the grants' total.
    SELECT r.*, GREATEST(r.rest_end - GREATEST(r.rest_end - r.rest, (SELECT COALESCE(MAX(g.upto), 0) FROM grants g)), 0) AS wallet FROM rest r
  ), grant_use AS (
    UPDATE credit_grants g SET remaining = g.remaining - t.credits
    FROM (SELECT taken.grant_id, SUM(taken.credits) AS credits FROM taken GROUP BY taken.grant_id) t
    WHERE g.org_id = p_org AND g.id = t.grant_id
  ), ledger AS (
    INSERT INTO ledger_entries (org_id, at, kind, pool, credits, ref, grant_id)
    SELECT p_org, now(), 'usage', e.pool, e.credits, e.ref, e.grant_id FROM (
      SELECT 'plan' AS pool, -s.plan AS credits, s.id AS ref, NULL::text AS grant_id, s.ord, 0::numeric AS k FROM split s WHERE s.plan > 0
      UNION ALL
      SELECT 'grant', -t.credits, t.event_id, t.grant_id, t.ord, t.upto FROM taken t
      UNION ALL
      SELECT 'wallet', -s.wallet, s.id, NULL, s.ord, 'Infinity'::numeric FROM split s WHERE s.wallet > 0
    ) e ORDER BY e.ord, e.k
    RETURNING ledger_entries.id
  ), inserted AS (
    INSERT INTO usage_events (org_id, id, agent_id, meter, quantity, credits, occurred_at, recorded_at,
                              period, plan_credits, grant_credits, wallet_credits, ledger_from, ledger_to)
    SELECT p_org, s.id, s.agent_id, s.meter, s.quantity, s.credits, s.occurred_at, now(),
           b.period, s.plan, s.rest - s.wallet, s.wallet, (SELECT MIN(l.id) FROM ledger l), (SELECT MAX(l.id) FROM ledger l)
    FROM split s
    ON CONFLICT (org_id, id) DO NOTHING
    RETURNING usage_events.id
  ), spend AS (
    INSERT INTO agent_spend (org_id, period, agent_id, spent)
    SELECT p_org, b.period, s.agent_id, SUM(s.credits) FROM split s GROUP BY s.agent_id
    ON CONFLICT (org_id, period, agent_id) DO UPDATE SET spent = agent_spend.spent + EXCLUDED.spent
  )
  SELECT count(*)::integer, COALESCE(SUM(s.plan), 0), COALESCE(SUM(s.rest - s.wallet), 0), COALESCE(SUM(s.credits), 0),
         (SELECT s2.id FROM split s2 WHERE before_credits - s2.cum < b.threshold_credits ORDER BY s2.ord LIMIT 1),
         (SELECT count(*)::integer FROM inserted)
    INTO n, plan_total, grant_total, credit_total, first_below, inserted_count
  FROM split s;
  IF inserted_count <> n THEN
    RAISE EXCEPTION 'a usage batch of organization % has ids recorded before', p_org USING ERRCODE = 'BL002';
  END IF;

  after_credits := before_credits - credit_total;
  IF n = 0 THEN
    RETURN QUERY SELECT 0, after_credits, NULL::text, false, b.signal_gen;
    RETURN;
  END IF;

  SELECT * INTO low FROM note_balance_low(p_org, after_credits, b.threshold_credits, b.low_notified, b.event_seq, now());
  signal := low.crossed AND b.auto_recharge_enabled;

  -- The day is the ledger entries' (their `at` is now()).
  INSERT INTO daily_usage AS d (org_id, day, plan_credits, grant_credits, wallet_credits)
  VALUES (p_org, (now() AT TIME ZONE 'UTC')::date, plan_total, grant_total, credit_total - plan_total - grant_total)
  ON CONFLICT (org_id, day) DO UPDATE
    SET plan_credits = d.plan_credits + EXCLUDED.plan_credits, grant_credits = d.grant_credits + EXCLUDED.grant_credits,
        wallet_credits = d.wallet_credits + EXCLUDED.wallet_credits;

  UPDATE balances SET
    plan_remaining = b.plan_remaining - plan_total,
    grant_credits = b.grant_credits - grant_total,
    wallet = b.wallet - (credit_total - plan_total - grant_total),
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
