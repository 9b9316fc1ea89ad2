-- storeflow schema, version 7: fenced record writes (store.put with if_newer).
--
-- version is the entity version a fenced write carried (e.g. a Shopify
-- updated_at in milliseconds since the epoch, or a deletion time for a
-- tombstone). A fenced write changes the record only when the stored version is
-- NULL or older, so a late or replayed older payload never overwrites a newer
-- one. Plain writes leave it as it is.
ALTER TABLE records ADD COLUMN version BIGINT;
