-- storeflow schema, version 6: webhook replays (http/webhook_ingress.h).
--
-- A signed webhook is deduplicated on its source's dedup key (Shopify's event or
-- webhook id), which the signature does not cover: a captured delivery resent
-- with a new id would be new. replay_key is a hash of the delivery's body (and,
-- by default, its topic); a second event of the same source with the same
-- replay_key is a duplicate too, for as long as the first is kept (retention).
-- Events that are not webhooks leave it NULL and add no index entry.
ALTER TABLE events ADD COLUMN replay_key TEXT;
CREATE UNIQUE INDEX events_replay ON events (source, replay_key) WHERE replay_key IS NOT NULL;
