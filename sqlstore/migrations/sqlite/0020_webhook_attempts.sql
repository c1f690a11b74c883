-- 0020: webhook delivery bookkeeping. Deliveries get a creation time so the
-- console and GET /v1/webhooks/deliveries can page through them newest
-- first, and an attempt base so a manual redelivery gets a fresh budget of
-- attempts while the attempt counter (the fencing token of a sender's lease)
-- keeps growing. delivery_attempts records the status and error of every
-- attempt, so an operator can see why a delivery went dead.

ALTER TABLE deliveries ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN attempt_base INTEGER NOT NULL DEFAULT 0;
CREATE INDEX deliveries_listed ON deliveries (state, created_at, id);
CREATE INDEX deliveries_created ON deliveries (created_at, id);

CREATE TABLE delivery_attempts (
	delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
	attempt     INTEGER NOT NULL,
	at          BIGINT NOT NULL,
	status      INTEGER NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT '',
	duration_ms BIGINT NOT NULL DEFAULT 0,
	worker      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (delivery_id, attempt)
);
