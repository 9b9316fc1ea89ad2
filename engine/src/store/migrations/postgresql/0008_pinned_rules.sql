-- storeflow schema, version 8: Lua rules pinned with the workflow version.
--
-- rules is a JSON object {"scripts/x.lua": "<the script's text>"} of every rule
-- script the version's `rule:` steps call, as they were when the version was
-- registered, so a run keeps calling the rule text its version started with
-- after a rule file is edited (and the workflows reloaded). '{}' for a version
-- without rule steps and for versions stored before schema 8 (their runs read
-- the rule files as they are now).
ALTER TABLE workflow_versions ADD COLUMN rules TEXT NOT NULL DEFAULT '{}';
