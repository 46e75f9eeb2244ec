-- Reads that stay bounded however large an organization grows (issue 17, items 8 and 9).

-- Usage per organization and UTC day, plan and wallet apart (credits used, positive): what
-- GET /usage/daily reads, a few rows a day instead of every usage entry of the range. Kept by a
-- statement trigger on the ledger in the inserting transaction, so it always equals the usage
-- entries' sums (the ledger is append-only: its entries are never updated or deleted).
CREATE TABLE daily_usage (
  org_id          text NOT NULL,
  day             date NOT NULL,
  plan_credits    bigint NOT NULL,
  wallet_credits  bigint NOT NULL,
  PRIMARY KEY (org_id, day)
);

-- One upsert per (organization, day) per statement: record_usage inserts a batch's entries in one
-- statement, under the organization's balance lock, so its row is written once per request.
CREATE FUNCTION add_daily_usage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO daily_usage AS d (org_id, day, plan_credits, wallet_credits)
  SELECT n.org_id, (n.at AT TIME ZONE 'UTC')::date,
         COALESCE(-SUM(n.credits) FILTER (WHERE n.pool = 'plan'), 0),
         COALESCE(-SUM(n.credits) FILTER (WHERE n.pool = 'wallet'), 0)
  FROM inserted n WHERE n.kind = 'usage'
  GROUP BY 1, 2
  ON CONFLICT (org_id, day) DO UPDATE
    SET plan_credits = d.plan_credits + EXCLUDED.plan_credits, wallet_credits = d.wallet_credits + EXCLUDED.wallet_credits;
  RETURN NULL;
END;
$$;

-- The trigger first: it locks the ledger against writes until this migration commits, so every
-- entry is counted once, by the backfill below or by the trigger.
CREATE TRIGGER ledger_entries_daily_usage AFTER INSERT ON ledger_entries
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION add_daily_usage();

INSERT INTO daily_usage (org_id, day, plan_credits, wallet_credits)
SELECT org_id, (at AT TIME ZONE 'UTC')::date,
       COALESCE(-SUM(credits) FILTER (WHERE pool = 'plan'), 0),
       COALESCE(-SUM(credits) FILTER (WHERE pool = 'wallet'), 0)
FROM ledger_entries WHERE kind = 'usage'
GROUP BY 1, 2;

-- Delivery runs waiting to be started, by organization (store/deliveries.ts undispatchedRuns takes
-- a few of each waiting organization in turns): one index probe per waiting organization, however
-- long one organization's backlog is.
DROP INDEX deliveries_undispatched;
CREATE INDEX deliveries_undispatched_by_org ON deliveries (org_id, seq) WHERE requested_runs > dispatched_runs;
