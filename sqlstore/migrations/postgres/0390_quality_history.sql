-- 0390: quality baselines that say what they are. quality_history holds
-- imported daily aggregates (events of trials) for a series from before
-- the mirror began, so a seasonal baseline has its year-earlier window; a
-- day's aggregate is used only where the mirror has no orders that day.
-- Alerts now record the kind of baseline they were judged against
-- (seasonal or trailing); alerts stored before this keep an empty kind.

CREATE TABLE quality_history (
	scope       TEXT NOT NULL,
	mkey        TEXT NOT NULL,
	metric      TEXT NOT NULL,
	day         TEXT NOT NULL,
	trials      BIGINT NOT NULL CHECK (trials >= 0),
	events      BIGINT NOT NULL CHECK (events >= 0 AND events <= trials),
	imported_at BIGINT NOT NULL,
	PRIMARY KEY (scope, mkey, metric, day)
);

ALTER TABLE quality_alerts ADD COLUMN baseline_kind TEXT NOT NULL DEFAULT '';
