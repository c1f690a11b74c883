-- 0350: quality sampling. Plans carry a budget that spend rows are booked
-- against (purchase, freight, lab fee; a merchant-paid retest is booked
-- with payer 'merchant' and never touches the budget). Samples follow a
-- listing from draw to lab result. A failure writes a sampling violation
-- (the seam to merchant enforcement: governance reads it, and the
-- merchant.restrict action goes out through the outbox) and one
-- interception row per listing taken down.

CREATE TABLE sampling_plans (
	id              TEXT PRIMARY KEY,
	name            TEXT NOT NULL,
	budget_fen      BIGINT NOT NULL,
	spent_fen       BIGINT NOT NULL DEFAULT 0,
	from_at         BIGINT NOT NULL,
	to_at           BIGINT NOT NULL,
	quotas          TEXT NOT NULL,
	random_share_bp BIGINT NOT NULL,
	seed            BIGINT NOT NULL,
	status          TEXT NOT NULL,
	created_at      BIGINT NOT NULL
);

CREATE TABLE sampling_labs (
	id             TEXT PRIMARY KEY,
	name           TEXT NOT NULL,
	accreditations TEXT NOT NULL,
	categories     TEXT NOT NULL,
	tests          TEXT NOT NULL,
	capacity       BIGINT NOT NULL,
	price_fen      BIGINT NOT NULL,
	active         INTEGER NOT NULL DEFAULT 1,
	created_at     BIGINT NOT NULL
);

CREATE TABLE sampling_samples (
	id            TEXT PRIMARY KEY,
	plan_id       TEXT NOT NULL REFERENCES sampling_plans(id),
	listing_id    TEXT NOT NULL,
	merchant_id   TEXT NOT NULL,
	category      TEXT NOT NULL,
	product_key   TEXT NOT NULL,
	stratum       TEXT NOT NULL,
	weight        DOUBLE PRECISION NOT NULL,
	status        TEXT NOT NULL,
	order_id      TEXT NOT NULL DEFAULT '',
	purchase_fen  BIGINT NOT NULL DEFAULT 0,
	lab_id        TEXT NOT NULL DEFAULT '',
	lab_fee_fen   BIGINT NOT NULL DEFAULT 0,
	tracking_no   TEXT NOT NULL DEFAULT '',
	report_ref    TEXT NOT NULL DEFAULT '',
	results       TEXT NOT NULL DEFAULT '[]',
	passed        INTEGER,
	retest_of     TEXT NOT NULL DEFAULT '',
	merchant_pays INTEGER NOT NULL DEFAULT 0,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	result_at     BIGINT
);
CREATE INDEX sampling_samples_plan ON sampling_samples (plan_id, category);
CREATE INDEX sampling_samples_lab ON sampling_samples (lab_id, status);
CREATE INDEX sampling_samples_merchant ON sampling_samples (merchant_id);
CREATE INDEX sampling_samples_result ON sampling_samples (result_at);

CREATE TABLE sampling_spend (
	id          TEXT PRIMARY KEY,
	plan_id     TEXT NOT NULL REFERENCES sampling_plans(id),
	sample_id   TEXT NOT NULL,
	kind        TEXT NOT NULL,
	payer       TEXT NOT NULL,
	amount_fen  BIGINT NOT NULL,
	at          BIGINT NOT NULL
);
CREATE INDEX sampling_spend_at ON sampling_spend (at);

CREATE TABLE sampling_violations (
	id          TEXT PRIMARY KEY,
	sample_id   TEXT NOT NULL UNIQUE,
	merchant_id TEXT NOT NULL,
	listing_id  TEXT NOT NULL,
	reason      TEXT NOT NULL,
	at          BIGINT NOT NULL,
	cleared_at  BIGINT
);
CREATE INDEX sampling_violations_merchant ON sampling_violations (merchant_id);
CREATE INDEX sampling_violations_at ON sampling_violations (at);

CREATE TABLE sampling_interceptions (
	sample_id   TEXT NOT NULL,
	listing_id  TEXT NOT NULL,
	at          BIGINT NOT NULL,
	restored_at BIGINT,
	PRIMARY KEY (sample_id, listing_id)
);
CREATE INDEX sampling_interceptions_at ON sampling_interceptions (at);
