-- 0600: stream cursors. The outbox publisher records how far it has
-- published each outbox to a broker, under a lease so that one replica at a
-- time publishes (the broker's message-id deduplication absorbs a replay
-- after a crash between publish and cursor update).
CREATE TABLE stream_cursors (
	name        TEXT PRIMARY KEY,
	seq         BIGINT NOT NULL DEFAULT 0,
	owner       TEXT NOT NULL DEFAULT '',
	lease_until BIGINT NOT NULL DEFAULT 0
);
