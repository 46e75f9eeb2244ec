-- What an allowance check needs of each organization, as of its last committed records: the
-- workflow writes it in the same transaction as a batch that empties its outbox, so the row
-- never includes usage whose records are not committed.
CREATE TABLE allowance_views (
  org_id               text PRIMARY KEY,
  plan_remaining       bigint NOT NULL,
  top_up               bigint NOT NULL,
  subscription_active  boolean NOT NULL,
  -- Agents with a monthly limit or `stop`: {agentId: {spentThisMonth, monthlyLimitCredits, whenPlanExhausted}}
  agents               jsonb NOT NULL,
  -- The view includes exactly the usage events with seq <= usage_seq.
  usage_seq            bigint NOT NULL,
  -- Grows with the workflow's record counters: a late retry of an older batch cannot overwrite a newer view.
  version              bigint NOT NULL,
  updated_at           timestamptz NOT NULL DEFAULT now()
);
