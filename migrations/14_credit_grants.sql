-- Credit grants (issue 19 §1): credits given with a name, a category, a priority and an optional
-- expiry, spent after plan credits and before the wallet.

-- One row per grant. `remaining` moves only with its ledger entries (pool 'grant', grant_id = id),
-- under the organization's balance lock, like every pool: usage (record_usage), expiry and void
-- (store/grants.ts), refunds and disputes of a paid grant's payment (store/commitBilling.ts).
-- `expired`, `voided` and `refunded` are what the expiry, the void and refunds took.
CREATE TABLE credit_grants (
  org_id           text NOT NULL REFERENCES orgs (id),
  id               text NOT NULL,
  -- Creation order: the last tie-break of the spend order.
  seq              bigint GENERATED ALWAYS AS IDENTITY,
  name             text NOT NULL,
  category         text NOT NULL CHECK (category IN ('promotional', 'paid', 'goodwill')),
  priority         integer NOT NULL DEFAULT 50 CHECK (priority BETWEEN 0 AND 100),
  credits          bigint NOT NULL CHECK (credits > 0),
  remaining        bigint NOT NULL CHECK (remaining >= 0),
  expired          bigint NOT NULL DEFAULT 0,
  voided           bigint NOT NULL DEFAULT 0,
  -- A paid grant's credits taken back by a refund or a dispute of its payment.
  refunded         bigint NOT NULL DEFAULT 0,
  expires_at       timestamptz,
  created_at       timestamptz NOT NULL,
  expired_at       timestamptz,
  voided_at        timestamptz,
  idempotency_key  text,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, idempotency_key),
  CHECK (remaining + expired + voided + refunded <= credits)
);
-- The spend order of an organization's live grants: priority (lower first), soonest expiry (none
-- last: ASC puts NULLs last), creation.
CREATE INDEX credit_grants_spend_order ON credit_grants (org_id, priority, expires_at, seq)
  WHERE remaining > 0 AND expired_at IS NULL AND voided_at IS NULL;
-- The expiry sweep reads the grants due, not every grant.
CREATE INDEX credit_grants_due ON credit_grants (expires_at)
  WHERE expires_at IS NOT NULL AND expired_at IS NULL AND voided_at IS NULL;

-- The grants' remaining total, on the balance row, moved with each grant's remaining: available
-- credits read one row, and record_usage skips the grants entirely when it is zero (an
-- organization without grants pays nothing for them).
ALTER TABLE balances ADD COLUMN grant_credits bigint NOT NULL DEFAULT 0;

-- The ledger: a grant pool, the entries that name their grant, and the kinds that move it
-- ('grant' creates it, 'expiry' and 'grant_void' take what remains).
ALTER TABLE ledger_entries ADD COLUMN grant_id text;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_pool_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_pool_check CHECK (pool IN ('plan', 'wallet', 'grant'));
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_grant_named CHECK ((pool = 'grant') = (grant_id IS NOT NULL));
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
  CHECK (kind IN ('usage', 'plan_renewal', 'top_up', 'auto_recharge', 'allocation', 'adjustment', 'refund', 'dispute', 'dispute_reversal',
                  'grant', 'expiry', 'grant_void'));

-- Usage per day from grants, beside plan and wallet.
ALTER TABLE daily_usage ADD COLUMN grant_credits bigint NOT NULL DEFAULT 0;

-- Available credits, the one definition: plan credits left, the grants' remaining total and the
-- wallet (which may be negative). domain/pools.ts available mirrors it (test/store/availableCredits.test.ts).
CREATE FUNCTION available_credits(b balances) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
  SELECT b.plan_remaining + b.grant_credits + b.wallet
$$;

-- record_usage as in migration 11, with grants between the plan and the wallet: what each event
-- takes beyond the plan (its rest) comes from the live grants in spend order, then the wallet.
-- The events' rests laid end to end and the grants' remainders laid end to end in spend order are
-- two intervals from zero: an event takes from a grant where its piece and the grant's overlap.
-- One ledger entry per (event, grant) touched, naming the grant. A grant past its expires_at that
-- the sweep has not expired yet is not spent. With no grant credits (grant_credits = 0) the grant
-- steps read nothing.
CREATE OR REPLACE FUNCTION record_usage(
  p_org text, p_ids text[], p_agents text[], p_meters text[], p_quantities bigint[], p_credits bigint[], p_occurred timestamptz[]
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
  ), planned AS (
    -- Plan credits go to the events in order, each taking what it is eligible for while they last.
    SELECT e.id, e.agent_id, e.credits, e.ord, SUM(e.credits) OVER w AS cum,
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
  ), spend AS (
    INSERT INTO agent_spend (org_id, period, agent_id, spent)
    SELECT p_org, b.period, s.agent_id, SUM(s.credits) FROM split s GROUP BY s.agent_id
    ON CONFLICT (org_id, period, agent_id) DO UPDATE SET spent = agent_spend.spent + EXCLUDED.spent
  )
  SELECT count(*)::integer, COALESCE(SUM(s.plan), 0), COALESCE(SUM(s.rest - s.wallet), 0), COALESCE(SUM(s.credits), 0),
         (SELECT s2.id FROM split s2 WHERE before_credits - s2.cum < b.threshold_credits ORDER BY s2.ord LIMIT 1)
    INTO n, plan_total, grant_total, credit_total, first_below
  FROM split s;

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
