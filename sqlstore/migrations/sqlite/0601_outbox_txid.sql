-- 0601: the outbox records the transaction that wrote each message (see the
-- PostgreSQL migration). SQLite has one writer at a time, so seq order is
-- commit order and the column stays 0: the publisher reads by seq.
ALTER TABLE outbox ADD COLUMN txid BIGINT NOT NULL DEFAULT 0;
CREATE INDEX outbox_txid ON outbox (txid, seq);
ALTER TABLE stream_cursors ADD COLUMN txid BIGINT NOT NULL DEFAULT 0;
