-- 0380: category quality watch. Monitors name a daily series (scope, key,
-- metric) computed from the mirror (orders delivered, after-sales) and care
-- tickets; alerts are unique per monitor and local day so re-evaluating a
-- day never duplicates them. Campaigns (专项治理) keep their tightened rules
-- as JSON; campaign actions record each merchant acted on once.

CREATE TABLE quality_monitors (
	id          TEXT PRIMARY KEY,
	scope       TEXT NOT NULL,
	mkey        TEXT NOT NULL,
	metric      TEXT NOT NULL,
	seasonal    INTEGER NOT NULL DEFAULT 0,
	weeks       BIGINT NOT NULL,
	sigma       DOUBLE PRECISION NOT NULL,
	min_orders  BIGINT NOT NULL,
	created_at  BIGINT NOT NULL,
	UNIQUE (scope, mkey, metric)
);

CREATE TABLE quality_alerts (
	id          TEXT PRIMARY KEY,
	monitor_id  TEXT NOT NULL REFERENCES quality_monitors(id),
	day         TEXT NOT NULL,
	value       DOUBLE PRECISION NOT NULL,
	baseline    DOUBLE PRECISION NOT NULL,
	lower_bound DOUBLE PRECISION NOT NULL,
	upper_bound DOUBLE PRECISION NOT NULL,
	created_at  BIGINT NOT NULL,
	UNIQUE (monitor_id, day)
);
CREATE INDEX quality_alerts_created ON quality_alerts (created_at);

CREATE TABLE quality_campaigns (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	category    TEXT NOT NULL,
	from_at     BIGINT NOT NULL,
	to_at       BIGINT NOT NULL,
	rules       TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE INDEX quality_campaigns_period ON quality_campaigns (from_at, to_at);

CREATE TABLE quality_campaign_actions (
	campaign_id TEXT NOT NULL REFERENCES quality_campaigns(id),
	merchant_id TEXT NOT NULL,
	return_rate DOUBLE PRECISION NOT NULL,
	orders      BIGINT NOT NULL,
	at          BIGINT NOT NULL,
	PRIMARY KEY (campaign_id, merchant_id)
);
