-- 0180: the trained content classifier. Each version is one row holding the
-- checksummed model file; it starts in shadow (scores every check and records
-- what it would have done) and becomes active only by a promotion that beat
-- the active version on a holdout the operator chose (the service checks
-- that, and retires the replaced version in the same transaction). Examples
-- are what versions learn from: the seed set (source 'seed') and reviewers'
-- case decisions (source 'review', one per case). Holdouts are named
-- labelled sets kept apart from training. Shadow flags record the checks a
-- shadow version would have sent to review.

CREATE TABLE content_models (
	version     INTEGER PRIMARY KEY,
	state       TEXT NOT NULL,
	data        BLOB NOT NULL,
	labels      TEXT NOT NULL,
	examples    INTEGER NOT NULL,
	reviewed    INTEGER NOT NULL DEFAULT 0,
	seed        BIGINT NOT NULL,
	threshold   REAL NOT NULL,
	holdout     TEXT NOT NULL DEFAULT '',
	metrics     TEXT NOT NULL DEFAULT '',
	trained_by  TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	promoted_at BIGINT,
	retired_at  BIGINT
);

CREATE TABLE content_examples (
	id         TEXT PRIMARY KEY,
	source     TEXT NOT NULL,
	kind       TEXT NOT NULL,
	text       TEXT NOT NULL,
	label      TEXT NOT NULL,
	case_id    TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE INDEX content_examples_source ON content_examples (source, label);

CREATE TABLE content_holdouts (
	name       TEXT NOT NULL,
	id         TEXT NOT NULL,
	kind       TEXT NOT NULL,
	text       TEXT NOT NULL,
	label      TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (name, id)
);

CREATE TABLE content_model_flags (
	decision_id TEXT NOT NULL,
	version     INTEGER NOT NULL,
	label       TEXT NOT NULL,
	score       REAL NOT NULL,
	created_at  BIGINT NOT NULL,
	PRIMARY KEY (decision_id, version)
);
CREATE INDEX content_model_flags_version ON content_model_flags (version);
