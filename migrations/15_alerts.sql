-- Alert ladders (issue 19 §4): each organization's alerts, evaluated in the transaction of every
-- balance change, by a row trigger on balances. Balances change only under the row's lock (in
-- record_usage and in the workflow's commits), so the trigger sees each change once and numbers
-- its events after the row's event_seq, as note_balance_low does. Organizations without alerts
-- skip it in the trigger's WHEN: the usage path pays nothing for alerts it does not have.

-- Available credits, defined once: the credit grants' migration redefines it to count grants, so
-- it is created here only when that migration has not made it already.
DO $migration$
BEGIN
  IF to_regprocedure('available_credits(balances)') IS NULL THEN
    CREATE FUNCTION available_credits(b balances) RETURNS bigint
    LANGUAGE sql STABLE AS $fn$ SELECT b.plan_remaining + b.wallet $fn$;
  END IF;
END;
$migration$;

-- Whether the organization has alerts: set with them (store/alerts.ts), read by the trigger's WHEN.
ALTER TABLE balances ADD COLUMN has_alerts boolean NOT NULL DEFAULT false;

CREATE TABLE alerts (
  org_id            text NOT NULL REFERENCES orgs (id),
  id                text NOT NULL,
  -- Where the alert stands in the list as saved: GET answers them in this order.
  position          smallint NOT NULL,
  type              text NOT NULL CHECK (type IN ('available_below', 'plan_used_percent')),
  credits           bigint CHECK (credits >= 0),
  percent           smallint CHECK (percent BETWEEN 1 AND 100),
  -- Crossed and not re-armed since: it fires again only once re-armed. available_below re-arms when
  -- available is back at or above its credits; plan_used_percent when a new period starts
  -- (triggered counts only in triggered_period).
  triggered         boolean NOT NULL DEFAULT false,
  triggered_period  bigint,
  -- When it last fired (NULL: never; an alert already crossed when saved is triggered without firing).
  last_triggered_at timestamptz,
  PRIMARY KEY (org_id, id),
  CHECK (CASE type WHEN 'available_below' THEN credits IS NOT NULL AND percent IS NULL ELSE percent IS NOT NULL AND credits IS NULL END)
);

-- Whether a balance is past an alert's line: available below its credits, or plan credits used
-- this period (plan_granted - plan_remaining, migration 9) at or above its percent of what the
-- period granted (never with nothing granted, nor while the subscription is not active: a lapsed
-- subscription empties the plan pool, which is not usage reaching the percent).
CREATE FUNCTION alert_crossed(p_type text, p_credits bigint, p_percent smallint, b balances) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT CASE p_type
    WHEN 'available_below' THEN available_credits(b) < p_credits
    ELSE b.subscription_active AND b.plan_granted > 0 AND (b.plan_granted - b.plan_remaining) * 100 >= p_percent::bigint * b.plan_granted
  END
$$;

-- Still triggered for this balance: a plan_used_percent alert only in the period it fired in, so a
-- renewal re-arms it, and a plan change within the period (which moves plan_granted, hence the
-- percent used) neither re-arms nor re-fires it.
CREATE FUNCTION alert_still_triggered(a alerts, b balances) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT a.triggered AND (a.type = 'available_below' OR a.triggered_period = b.period)
$$;

-- The trigger: each alert armed and crossed now fires alert.triggered (numbered after NEW.event_seq,
-- which it advances); each triggered alert no longer crossed (available_below) or of an earlier
-- period (plan_used_percent) re-arms. Several alerts crossed by one change fire in the order a
-- falling balance crosses them: available_below from the highest credits, then plan_used_percent
-- from the lowest percent.
CREATE FUNCTION evaluate_alerts() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  fired integer;
  avail bigint := available_credits(NEW);
  used bigint := NEW.plan_granted - NEW.plan_remaining;
BEGIN
  WITH evaluated AS (
    SELECT s.*, s.crossed AND NOT s.still AS fires,
           CASE WHEN s.type = 'available_below' THEN s.crossed ELSE s.still OR s.crossed END AS triggered
    FROM (SELECT a.id, a.type, a.triggered AS was, alert_crossed(a.type, a.credits, a.percent, NEW) AS crossed, alert_still_triggered(a, NEW) AS still
          FROM alerts a WHERE a.org_id = NEW.org_id) s
  ), changed AS (
    UPDATE alerts a SET
      triggered = e.triggered,
      triggered_period = CASE WHEN e.fires THEN NEW.period ELSE a.triggered_period END,
      last_triggered_at = CASE WHEN e.fires THEN now() ELSE a.last_triggered_at END
    FROM evaluated e
    WHERE a.org_id = NEW.org_id AND a.id = e.id AND (e.fires OR e.triggered <> e.was)
    RETURNING a.id, a.type, a.credits, a.percent, e.fires
  ), fires AS (
    SELECT c.*, row_number() OVER (ORDER BY c.type, c.credits DESC, c.percent, c.id) AS n FROM changed c WHERE c.fires
  )
  INSERT INTO events (org_id, seq, type, at, message, data)
  SELECT NEW.org_id, NEW.event_seq + f.n, 'alert.triggered', now(),
         CASE f.type
           WHEN 'available_below' THEN format('Alert %s: available credits (%s) fell below %s.', f.id, avail, f.credits)
           ELSE format('Alert %s: plan credits used this period reached %s%% (%s of %s).', f.id, f.percent, used, NEW.plan_granted)
         END,
         jsonb_build_object(
           'alert', jsonb_strip_nulls(jsonb_build_object('id', f.id, 'type', f.type, 'credits', f.credits, 'percent', f.percent)),
           'availableCredits', avail)
         -- NULLIF: the planner folds the division with the row's values even where CASE would skip it.
         || CASE WHEN f.type = 'plan_used_percent'
              THEN jsonb_build_object('planUsedPercent', used * 100 / NULLIF(NEW.plan_granted, 0), 'planCreditsUsed', used, 'planCreditsGranted', NEW.plan_granted)
              ELSE '{}'::jsonb END
  FROM fires f ORDER BY f.n;
  GET DIAGNOSTICS fired = ROW_COUNT;
  NEW.event_seq := NEW.event_seq + fired;
  RETURN NEW;
END;
$$;

CREATE TRIGGER balances_alerts BEFORE UPDATE ON balances
  FOR EACH ROW WHEN (NEW.has_alerts) EXECUTE FUNCTION evaluate_alerts();
