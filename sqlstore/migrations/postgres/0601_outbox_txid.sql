-- 0601: the outbox records the transaction that wrote each message. Its seq
-- is handed out at insert, not at commit, so a message with a lower seq can
-- commit after one with a higher seq; a publisher reading by seq alone could
-- move its cursor past a message still being written and never publish it.
-- The publisher instead reads in (txid, seq) order and only messages of
-- transactions older than every running one (see OutboxCursor.Next).
ALTER TABLE outbox ADD COLUMN txid BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX outbox_txid ON outbox (txid, seq);
ALTER TABLE stream_cursors ADD COLUMN txid BIGINT NOT NULL DEFAULT 0;
-- Existing cursors keep their place: every message stored so far carries
-- this migration's transaction id.
UPDATE stream_cursors SET txid = COALESCE((SELECT MAX(o.txid) FROM outbox o WHERE o.seq <= stream_cursors.seq), 0);
