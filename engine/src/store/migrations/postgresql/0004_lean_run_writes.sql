-- storeflow schema, version 4: fewer index entries per run write.
--
-- Every write of a run row that changes an indexed column adds an entry to each
-- of its indexes. Most runs have no key (no `key:` in their workflow), yet each
-- of their writes added an entry to runs_by_workflow_key. Only runs with a key
-- are looked up by key (per-key concurrency, `runs list --key`), so the index
-- now holds only those.
DROP INDEX runs_by_workflow_key;
CREATE INDEX runs_by_workflow_key ON runs (workflow, run_key, id) WHERE run_key IS NOT NULL;
