-- storeflow schema, version 5: what retention deletes by (runtime/retention.h).
--
-- Each purge takes the oldest rows past their horizon, a batch at a time. Without
-- these indexes every batch would scan the whole table. Runs need none of their
-- own: PurgeRuns walks runs_by_workflow_status up to the last run created before
-- the horizon (an index on finished_at would cost every run's last write).

-- The idempotency ledger, by when an effect was recorded.
CREATE INDEX effects_by_created ON effects (created_at);

-- Plugin key/value entries that expire.
CREATE INDEX plugin_kv_by_expiry ON plugin_kv (expires_at) WHERE expires_at IS NOT NULL;
