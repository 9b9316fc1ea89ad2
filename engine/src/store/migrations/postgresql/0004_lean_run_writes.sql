-- storeflow schema, version 4: less work per run write and per claim.
--
-- Every write of a run row that changes an indexed column adds an entry to each
-- of its indexes. Most runs have no key (no `key:` in their workflow), yet each
-- of their writes added an entry to runs_by_workflow_key. Only runs with a key
-- are looked up by key (per-key concurrency, `runs list --key`), so the index
-- now holds only those.
DROP INDEX runs_by_workflow_key;
CREATE INDEX runs_by_workflow_key ON runs (workflow, run_key, id) WHERE run_key IS NOT NULL;

-- Claims take due runs ORDER BY due_at, id: with id in the index the scan yields
-- them in that order, and no claim sorts.
DROP INDEX runs_due;
CREATE INDEX runs_due ON runs (due_at, id) WHERE due_at IS NOT NULL;

-- A step row's run is checked by the engine, not by a foreign key: steps are only
-- written for a run whose row the same transaction has just updated
-- (UpdateLeasedRuns returns it, or UpdateRun succeeded), and runs are never
-- deleted, so the key's ON DELETE CASCADE never fired. The check cost a trigger,
-- a query and a row lock (FOR KEY SHARE on the run) for every step row: a tenth of
-- the server's CPU in runtime_bench. A future purge of runs deletes their steps too.
ALTER TABLE steps DROP CONSTRAINT steps_run_id_fkey;
