-- The ledger's usage entries derived from the usage rows (issue 20). A usage request wrote a ledger
-- entry per event and pool besides the event's row, and each event had a second index, by
-- occurredAt, for GET /usage: most of PostgreSQL's work per event beyond the row itself. The events
-- now carry their split (migration 16), so a request writes one row, usage_requests, naming its
-- events in order, what it took from each grant and the span of its events' occurredAt. Its ledger
-- entries are computed from it and the events' splits (usage_request_entries), with the same ids,
-- kinds, pools, credits and refs; GET /usage finds events through the requests' spans
-- (store/usageEvents.ts). The other entries (and the usage entries written before this migration)
-- stay rows, in ledger_postings; the view ledger_entries is the two together.
--
-- Ledger ids stay one order: every posting and every request draws a number from one sequence; a
-- posting's id is that number times 2^20, a request's entries are that number times 2^20 plus
-- 1, 2, ... in event order (plan, grants in spend order, wallet). A request of at most 1,000 events
-- has far fewer than 2^20 entries; record_usage refuses one that would not.

ALTER TABLE ledger_entries RENAME TO ledger_postings;
ALTER SEQUENCE ledger_entries_id_seq RENAME TO ledger_seq;
-- The ids drawn so far are below every number the sequence gives from now on, times 2^20.
ALTER TABLE ledger_postings ALTER COLUMN id SET DEFAULT nextval('ledger_seq') * 1048576;

CREATE TABLE usage_requests (
  org_id text NOT NULL,
  seq bigint NOT NULL,
  at timestamptz NOT NULL,
  -- The events the request recorded, in its order.
  event_ids text[] NOT NULL,
  -- The grants it took from, in spend order, and what it took from each: the events' grant credits
  -- (usage_events.grant_credits), laid end to end in event order, take them in this order.
  grant_ids text[] NOT NULL,
  grant_taken bigint[] NOT NULL,
  -- The earliest and latest occurredAt of its events.
  occurred_min timestamptz NOT NULL,
  occurred_max timestamptz NOT NULL,
  -- How many ledger entries it has (0: its events cost nothing, or were recorded before this
  -- migration, their entries being postings), and its totals by pool (positive, 0 for the events
  -- before this migration): pages and sums read these, not the entries.
  entry_count integer NOT NULL CHECK (entry_count >= 0),
  plan_credits bigint NOT NULL,
  grant_credits bigint NOT NULL,
  wallet_credits bigint NOT NULL,
  PRIMARY KEY (org_id, seq)
);
-- Out of line without compression when long: compressing the ids cost more than it saved.
ALTER TABLE usage_requests ALTER COLUMN event_ids SET STORAGE EXTERNAL;
CREATE TRIGGER usage_requests_append_only BEFORE UPDATE OR DELETE ON usage_requests
  FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
-- GET /usage: the requests by their latest occurredAt, newest first (a request per batch, not an
-- index entry per event: the events' (org, occurred_at) index cost the usage request 9%).
CREATE INDEX usage_requests_by_occurred ON usage_requests (org_id, occurred_max);

-- The widest span of occurredAt in one of the organization's requests: a request holding events at
-- or before an instant has its latest occurredAt at most this much after it, which bounds where
-- GET /usage starts reading the requests.
ALTER TABLE balances ADD COLUMN usage_spread interval NOT NULL DEFAULT '0';

-- Whether any of the organization's agents has a monthly limit: record_usage reads the batch's
-- agents' limits only then (the read cost the usage request 2.5%). Kept by a trigger, whoever
-- writes agent_settings.
ALTER TABLE balances ADD COLUMN agent_limits boolean NOT NULL DEFAULT false;
UPDATE balances b SET agent_limits = true
WHERE EXISTS (SELECT 1 FROM agent_settings s WHERE s.org_id = b.org_id AND s.monthly_limit_credits IS NOT NULL);
-- The balance row is locked first, and the flag computed by the next statement, with a snapshot
-- taken after the lock: a concurrent write of another agent's settings, committed while this one
-- waited, is counted (computed in one statement, the flag could be overwritten with a stale value).
CREATE FUNCTION note_agent_limits() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  org text := CASE WHEN TG_OP = 'DELETE' THEN OLD.org_id ELSE NEW.org_id END;
BEGIN
  PERFORM 1 FROM balances b WHERE b.org_id = org FOR UPDATE;
  UPDATE balances b SET agent_limits = EXISTS (SELECT 1 FROM agent_settings s WHERE s.org_id = org AND s.monthly_limit_credits IS NOT NULL)
  WHERE b.org_id = org;
  RETURN NULL;
END;
$$;
CREATE TRIGGER agent_settings_limits AFTER INSERT OR UPDATE OR DELETE ON agent_settings
  FOR EACH ROW EXECUTE FUNCTION note_agent_limits();

-- The request that recorded the event (NULL: recorded before this migration; its entries are
-- postings between ledger_from and ledger_to).
ALTER TABLE usage_events ADD COLUMN request_seq bigint;

-- The events' splits are the usage entries now: an event's row is never deleted, and only its void
-- (voided_at, void_reason) changes.
CREATE FUNCTION usage_event_is_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR (NEW.org_id, NEW.id, NEW.credits, NEW.plan_credits, NEW.grant_credits, NEW.wallet_credits, NEW.request_seq, NEW.recorded_at)
                         IS DISTINCT FROM (OLD.org_id, OLD.id, OLD.credits, OLD.plan_credits, OLD.grant_credits, OLD.wallet_credits, OLD.request_seq, OLD.recorded_at) THEN
    RAISE EXCEPTION 'a usage event is only ever voided' USING ERRCODE = 'BL004';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER usage_events_fixed BEFORE UPDATE OR DELETE ON usage_events
  FOR EACH ROW EXECUTE FUNCTION usage_event_is_fixed();

-- The events recorded before: listed through requests too (one per organization and recording
-- instant, with no entries of their own), then the events' index goes.
INSERT INTO usage_requests (org_id, seq, at, event_ids, grant_ids, grant_taken, occurred_min, occurred_max, entry_count, plan_credits, grant_credits, wallet_credits)
SELECT org_id, nextval('ledger_seq'), recorded_at, array_agg(id ORDER BY id), '{}', '{}', min(occurred_at), max(occurred_at), 0, 0, 0, 0
FROM usage_events GROUP BY org_id, recorded_at;
UPDATE balances b SET usage_spread = s.spread
FROM (SELECT org_id, max(occurred_max - occurred_min) AS spread FROM usage_requests GROUP BY org_id) s
WHERE b.org_id = s.org_id;
DROP INDEX usage_events_by_occurred;

-- A request's ledger entries: per event in order, its plan part, its parts of the grants (its grant
-- credits' span on the request's line, cut at the grants' spans), its wallet part.
CREATE FUNCTION usage_request_entries(r usage_requests)
RETURNS TABLE (id bigint, pool text, credits bigint, ref text, grant_id text)
LANGUAGE sql STABLE AS $$
  WITH ev AS (
    SELECT e.id, v.ord, e.plan_credits, e.grant_credits, e.wallet_credits,
           SUM(e.grant_credits) OVER (ORDER BY v.ord) - e.grant_credits AS g_from
    FROM unnest(r.event_ids) WITH ORDINALITY AS v(id, ord)
    JOIN usage_events e ON e.org_id = r.org_id AND e.id = v.id AND e.request_seq = r.seq
  ), line AS (
    SELECT g.grant_id, g.k, g.taken, SUM(g.taken) OVER (ORDER BY g.k) - g.taken AS g_from
    FROM unnest(r.grant_ids, r.grant_taken) WITH ORDINALITY AS g(grant_id, taken, k)
  ), parts AS (
    SELECT ev.ord, 0::bigint AS slot, 'plan'::text AS pool, -ev.plan_credits AS credits, ev.id AS ref, NULL::text AS grant_id
    FROM ev WHERE ev.plan_credits > 0
    UNION ALL
    SELECT ev.ord, line.k, 'grant', -(LEAST(ev.g_from + ev.grant_credits, line.g_from + line.taken) - GREATEST(ev.g_from, line.g_from)), ev.id, line.grant_id
    FROM ev JOIN line ON ev.grant_credits > 0 AND ev.g_from < line.g_from + line.taken AND line.g_from < ev.g_from + ev.grant_credits
    UNION ALL
    SELECT ev.ord, 9223372036854775807, 'wallet', -ev.wallet_credits, ev.id, NULL
    FROM ev WHERE ev.wallet_credits > 0
  )
  SELECT r.seq * 1048576 + row_number() OVER (ORDER BY parts.ord, parts.slot), parts.pool, parts.credits, parts.ref, parts.grant_id
  FROM parts
$$;

-- The whole ledger: what tests, checks and whole-ledger sums read. A page (ledger_page_newest,
-- ledger_page_oldest) expands only the requests it shows.
CREATE VIEW ledger_entries AS
  SELECT p.id, p.org_id, p.at, p.kind, p.pool, p.credits, p.ref, p.grant_id FROM ledger_postings p
  UNION ALL
  SELECT x.id, r.org_id, r.at, 'usage'::text, x.pool, x.credits, x.ref, x.grant_id
  FROM usage_requests r CROSS JOIN LATERAL usage_request_entries(r) x WHERE r.entry_count > 0;

-- A page of an organization's ledger in id order: the postings' page and the entries of the
-- requests that can fall in it, merged. A request is expanded only if the requests before it in the
-- page's order (their entry counts, less the first's, which the cursor may cut) leave room. Plain
-- SQL, so the planner inlines it into the caller's query (its order is the caller's: no second sort).
-- Newest first, before the cursor (an entry id, exclusive; NULL: from the newest): GET /ledger.
CREATE FUNCTION ledger_page_newest(p_org text, p_before bigint, p_limit integer)
RETURNS TABLE (id bigint, at timestamptz, kind text, pool text, credits bigint, ref text, grant_id text)
LANGUAGE sql STABLE AS $$
  WITH requests AS (
    SELECT r.seq, SUM(r.entry_count) OVER w - r.entry_count - first_value(r.entry_count) OVER w AS before
    FROM (
      SELECT r.seq, r.entry_count FROM usage_requests r
      WHERE r.org_id = p_org AND r.entry_count > 0 AND r.seq <= (COALESCE(p_before, 9223372036854775807) - 1) / 1048576
      ORDER BY r.seq DESC LIMIT p_limit + 1
    ) r
    WINDOW w AS (ORDER BY r.seq DESC)
  )
  SELECT e.* FROM (
    (SELECT p.id, p.at, p.kind, p.pool, p.credits, p.ref, p.grant_id FROM ledger_postings p
     WHERE p.org_id = p_org AND p.id < COALESCE(p_before, 9223372036854775807)
     ORDER BY p.id DESC LIMIT p_limit)
    UNION ALL
    SELECT x.id, r.at, 'usage'::text, x.pool, x.credits, x.ref, x.grant_id
    FROM requests q JOIN usage_requests r ON r.org_id = p_org AND r.seq = q.seq
    CROSS JOIN LATERAL usage_request_entries(r) x
    WHERE q.before < p_limit AND x.id < COALESCE(p_before, 9223372036854775807)
  ) e ORDER BY e.id DESC LIMIT p_limit
$$;

-- Oldest first, after the cursor (NULL: from the first), within [p_from, p_to): the simulation.
CREATE FUNCTION ledger_page_oldest(p_org text, p_after bigint, p_from timestamptz, p_to timestamptz, p_limit integer)
RETURNS TABLE (id bigint, at timestamptz, kind text, pool text, credits bigint, ref text, grant_id text)
LANGUAGE sql STABLE AS $$
  WITH requests AS (
    SELECT r.seq, SUM(r.entry_count) OVER w - r.entry_count - first_value(r.entry_count) OVER w AS before
    FROM (
      SELECT r.seq, r.entry_count FROM usage_requests r
      WHERE r.org_id = p_org AND r.entry_count > 0 AND r.seq >= COALESCE(p_after, 0) / 1048576 AND r.at >= p_from AND r.at < p_to
      ORDER BY r.seq LIMIT p_limit + 1
    ) r
    WINDOW w AS (ORDER BY r.seq)
  )
  SELECT e.* FROM (
    (SELECT p.id, p.at, p.kind, p.pool, p.credits, p.ref, p.grant_id FROM ledger_postings p
     WHERE p.org_id = p_org AND p.id > COALESCE(p_after, 0) AND p.at >= p_from AND p.at < p_to
     ORDER BY p.id LIMIT p_limit)
    UNION ALL
    SELECT x.id, r.at, 'usage'::text, x.pool, x.credits, x.ref, x.grant_id
    FROM requests q JOIN usage_requests r ON r.org_id = p_org AND r.seq = q.seq
    CROSS JOIN LATERAL usage_request_entries(r) x
    WHERE q.before < p_limit AND x.id > COALESCE(p_after, 0)
  ) e ORDER BY e.id LIMIT p_limit
$$;

-- record_usage as in migration 16, writing a usage_requests row instead of the entries, and the
-- split computed by a loop over the batch rather than window functions: the statement of windows
-- cost more than the rows it wrote (paired pgbench in docs/performance.md). An event without
-- occurredAt (NULL) occurred when it is recorded.
CREATE OR REPLACE FUNCTION record_usage(
  p_org text, p_ids text[], p_agents text[], p_meters text[], p_quantities bigint[], p_credits bigint[], p_occurred timestamptz[],
  p_seen_before boolean DEFAULT false
) RETURNS TABLE (recorded integer, available_after bigint, crossed_by text, signal_workflow boolean, signal_generation bigint)
LANGUAGE plpgsql AS $$
DECLARE
  b balances%ROWTYPE;
  n integer;
  i integer;
  j integer;
  c bigint;
  eligible bigint;
  take bigint;
  rest bigint;
  plan_left bigint;
  plan_total bigint := 0;
  grant_total bigint := 0;
  wallet_total bigint;
  credit_total bigint := 0;
  entries integer := 0;
  before_credits bigint;
  after_credits bigint;
  first_below text;
  -- The batch's agents that have a limit: what each may still take from the plan before the batch,
  -- and what the batch's events before this one asked of it.
  lim_agents text[];
  lim_headroom bigint[];
  lim_asked bigint[];
  -- The live grants in spend order: what each has left, what the batch took from it.
  g_ids text[] := '{}';
  g_left bigint[] := '{}';
  g_taken bigint[] := '{}';
  gi integer := 1;
  used integer;
  ng integer := 0;
  -- Each event's split.
  e_plan bigint[] := '{}';
  e_grant bigint[] := '{}';
  e_wallet bigint[] := '{}';
  request bigint;
  spread interval;
  inserted_count integer;
  low record;
  signal boolean;
BEGIN
  SELECT * INTO b FROM balances WHERE balances.org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'organization % has no balance row', p_org USING ERRCODE = 'BL001';
  END IF;
  before_credits := available_credits(b);

  IF p_seen_before THEN
    -- The caller knows the batch has ids seen before (in it or earlier): each id's first occurrence,
    -- in batch order, if not recorded before (a primary-key probe each, never an anti-join planned
    -- as a scan).
    SELECT COALESCE(array_agg(t.id ORDER BY t.ord), '{}'), COALESCE(array_agg(t.agent_id ORDER BY t.ord), '{}'),
           COALESCE(array_agg(t.meter ORDER BY t.ord), '{}'), COALESCE(array_agg(t.quantity ORDER BY t.ord), '{}'),
           COALESCE(array_agg(t.credits ORDER BY t.ord), '{}'), COALESCE(array_agg(t.occurred_at ORDER BY t.ord), '{}')
      INTO p_ids, p_agents, p_meters, p_quantities, p_credits, p_occurred
    FROM (
      SELECT DISTINCT ON (u.id) u.* FROM unnest(p_ids, p_agents, p_meters, p_quantities, p_credits, p_occurred)
        WITH ORDINALITY AS u(id, agent_id, meter, quantity, credits, occurred_at, ord)
      ORDER BY u.id, u.ord
    ) t
    WHERE (SELECT true FROM usage_events e WHERE e.org_id = p_org AND e.id = t.id) IS NULL;
  END IF;
  n := COALESCE(array_length(p_ids, 1), 0);
  IF n = 0 THEN
    RETURN QUERY SELECT 0, before_credits, NULL::text, false, b.signal_gen;
    RETURN;
  END IF;

  IF b.agent_limits THEN
    SELECT array_agg(s.agent_id), array_agg(s.monthly_limit_credits - COALESCE(sp.spent, 0)), array_agg(0::bigint)
      INTO lim_agents, lim_headroom, lim_asked
    FROM agent_settings s
    LEFT JOIN agent_spend sp ON sp.org_id = p_org AND sp.period = b.period AND sp.agent_id = s.agent_id
    WHERE s.org_id = p_org AND s.agent_id = ANY (p_agents) AND s.monthly_limit_credits IS NOT NULL;
  END IF;

  IF b.grant_credits > 0 THEN
    SELECT COALESCE(array_agg(g.id ORDER BY g.priority, g.expires_at, g.seq), '{}'),
           COALESCE(array_agg(g.remaining ORDER BY g.priority, g.expires_at, g.seq), '{}')
      INTO g_ids, g_left
    FROM credit_grants g
    WHERE g.org_id = p_org AND g.remaining > 0 AND g.expired_at IS NULL AND g.voided_at IS NULL
      AND (g.expires_at IS NULL OR g.expires_at > now());
    ng := COALESCE(array_length(g_ids, 1), 0);
    g_taken := array_fill(0::bigint, ARRAY[ng]);
  END IF;

  -- Each event in order: the plan while it lasts, as far as the event's agent is under its limit
  -- (an event crossing the limit takes the part up to it); then the grants in spend order; the rest
  -- from the wallet, which may go negative.
  plan_left := GREATEST(b.plan_remaining, 0);
  FOR i IN 1 .. n LOOP
    c := p_credits[i];
    credit_total := credit_total + c;
    IF first_below IS NULL AND before_credits - credit_total < b.threshold_credits THEN
      first_below := p_ids[i];
    END IF;
    eligible := c;
    IF lim_agents IS NOT NULL THEN
      j := array_position(lim_agents, p_agents[i]);
      IF j IS NOT NULL THEN
        eligible := LEAST(c, GREATEST(lim_headroom[j] - lim_asked[j], 0));
        lim_asked[j] := lim_asked[j] + c;
      END IF;
    END IF;
    take := LEAST(eligible, plan_left);
    plan_left := plan_left - take;
    plan_total := plan_total + take;
    e_plan[i] := take;
    entries := entries + CASE WHEN take > 0 THEN 1 ELSE 0 END;
    rest := c - take;
    e_grant[i] := 0;
    WHILE rest > 0 AND gi <= ng LOOP
      take := LEAST(rest, g_left[gi]);
      g_left[gi] := g_left[gi] - take;
      g_taken[gi] := g_taken[gi] + take;
      e_grant[i] := e_grant[i] + take;
      rest := rest - take;
      entries := entries + 1;
      IF g_left[gi] = 0 THEN
        gi := gi + 1;
      END IF;
    END LOOP;
    grant_total := grant_total + e_grant[i];
    e_wallet[i] := rest;
    entries := entries + CASE WHEN rest > 0 THEN 1 ELSE 0 END;
  END LOOP;
  wallet_total := credit_total - plan_total - grant_total;
  IF entries >= 1048576 THEN
    RAISE EXCEPTION 'a usage batch of organization % would have % ledger entries', p_org, entries USING ERRCODE = 'BL003';
  END IF;

  -- The grants taken from: those before gi, and gi if the batch took part of it.
  used := gi - CASE WHEN gi <= ng AND g_taken[gi] = 0 THEN 1 ELSE 0 END;
  request := nextval('ledger_seq');
  INSERT INTO usage_events (org_id, id, agent_id, meter, quantity, credits, occurred_at, recorded_at,
                            period, plan_credits, grant_credits, wallet_credits, request_seq)
  SELECT p_org, t.id, t.agent_id, t.meter, t.quantity, t.credits, COALESCE(t.occurred_at, now()), now(), b.period, t.plan, t.grants, t.wallet, request
  FROM unnest(p_ids, p_agents, p_meters, p_quantities, p_credits, p_occurred, e_plan, e_grant, e_wallet)
    AS t(id, agent_id, meter, quantity, credits, occurred_at, plan, grants, wallet)
  ON CONFLICT (org_id, id) DO NOTHING;
  GET DIAGNOSTICS inserted_count = ROW_COUNT;
  IF inserted_count <> n THEN
    -- Taken as new, the batch has an id seen before (in it or earlier): undone; the caller calls again with p_seen_before.
    RAISE EXCEPTION 'a usage batch of organization % has ids recorded before', p_org USING ERRCODE = 'BL002';
  END IF;

  INSERT INTO usage_requests (org_id, seq, at, event_ids, grant_ids, grant_taken, occurred_min, occurred_max, entry_count, plan_credits, grant_credits, wallet_credits)
  SELECT p_org, request, now(), p_ids, g_ids[1 : used], g_taken[1 : used], o.first, o.last, entries, plan_total, grant_total, wallet_total
  FROM (SELECT min(COALESCE(x, now())) AS first, max(COALESCE(x, now())) AS last FROM unnest(p_occurred) x) o
  RETURNING occurred_max - occurred_min INTO spread;

  IF grant_total > 0 THEN
    UPDATE credit_grants g SET remaining = g.remaining - t.taken
    FROM unnest(g_ids[1 : used], g_taken[1 : used]) AS t(id, taken)
    WHERE g.org_id = p_org AND g.id = t.id;
  END IF;

  INSERT INTO agent_spend (org_id, period, agent_id, spent)
  SELECT p_org, b.period, t.agent_id, SUM(t.credits) FROM unnest(p_agents, p_credits) AS t(agent_id, credits) GROUP BY t.agent_id
  ON CONFLICT (org_id, period, agent_id) DO UPDATE SET spent = agent_spend.spent + EXCLUDED.spent;

  after_credits := before_credits - credit_total;
  SELECT * INTO low FROM note_balance_low(p_org, after_credits, b.threshold_credits, b.low_notified, b.event_seq, now());
  signal := low.crossed AND b.auto_recharge_enabled;

  -- The day is the request's (its `at` is now()).
  INSERT INTO daily_usage AS d (org_id, day, plan_credits, grant_credits, wallet_credits)
  VALUES (p_org, (now() AT TIME ZONE 'UTC')::date, plan_total, grant_total, wallet_total)
  ON CONFLICT (org_id, day) DO UPDATE
    SET plan_credits = d.plan_credits + EXCLUDED.plan_credits, grant_credits = d.grant_credits + EXCLUDED.grant_credits,
        wallet_credits = d.wallet_credits + EXCLUDED.wallet_credits;

  UPDATE balances SET
    plan_remaining = b.plan_remaining - plan_total,
    grant_credits = b.grant_credits - grant_total,
    wallet = b.wallet - wallet_total,
    low_notified = low.low_notified,
    event_seq = low.event_seq,
    signal_pending = b.signal_pending OR signal,
    signal_gen = b.signal_gen + CASE WHEN signal THEN 1 ELSE 0 END,
    usage_spread = GREATEST(b.usage_spread, spread),
    updated_at = now()
  WHERE balances.org_id = p_org;

  RETURN QUERY SELECT n, after_credits, CASE WHEN low.crossed THEN first_below END, signal,
    b.signal_gen + CASE WHEN signal THEN 1 ELSE 0 END;
END;
$$;

-- One plan for each of the function's statements per connection: every statement reaches its rows
-- by the organization's key, and planning them again for each call's values cost more than running
-- them (paired pgbench in docs/performance.md).
ALTER FUNCTION record_usage(text, text[], text[], text[], bigint[], bigint[], timestamptz[], boolean) SET plan_cache_mode = force_generic_plan;
