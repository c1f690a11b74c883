-- 0001: the foundation. The marketplace mirror (merchants, listings, orders …)
-- keeps only what Anxin needs to decide; events are stored once by their
-- marketplace id so ingestion is idempotent; API keys are stored as SHA-256
-- hashes only; the outbox, deliveries and jobs make webhooks and timers
-- durable across restarts. Timestamps are BIGINT milliseconds (see time.go).

CREATE TABLE api_keys (
	id          TEXT PRIMARY KEY,
	hash        TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL DEFAULT '',
	role        TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	revoked_at  BIGINT
);

CREATE TABLE console_sessions (
	id_hash     TEXT PRIMARY KEY,
	key_id      TEXT NOT NULL REFERENCES api_keys(id),
	csrf        TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	expires_at  BIGINT NOT NULL
);

CREATE TABLE merchants (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL DEFAULT 'active',
	categories   TEXT NOT NULL DEFAULT '[]',
	attributes   TEXT NOT NULL DEFAULT '{}',
	onboarded_at BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);

CREATE TABLE influencers (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL DEFAULT '',
	followers   BIGINT NOT NULL DEFAULT 0,
	attributes  TEXT NOT NULL DEFAULT '{}',
	updated_at  BIGINT NOT NULL
);

CREATE TABLE buyers (
	id          TEXT PRIMARY KEY,
	standing    TEXT NOT NULL DEFAULT 'good',
	updated_at  BIGINT NOT NULL
);

CREATE TABLE listings (
	id           TEXT PRIMARY KEY,
	merchant_id  TEXT NOT NULL,
	title        TEXT NOT NULL DEFAULT '',
	description  TEXT NOT NULL DEFAULT '',
	category     TEXT NOT NULL DEFAULT '',
	brand        TEXT NOT NULL DEFAULT '',
	price_fen    BIGINT NOT NULL DEFAULT 0,
	currency     TEXT NOT NULL DEFAULT 'CNY',
	image_hashes TEXT NOT NULL DEFAULT '[]',
	attributes   TEXT NOT NULL DEFAULT '{}',
	status       TEXT NOT NULL DEFAULT 'live',
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);
CREATE INDEX listings_merchant ON listings (merchant_id, id);

CREATE TABLE content_items (
	id           TEXT PRIMARY KEY,
	kind         TEXT NOT NULL,
	author_id    TEXT NOT NULL DEFAULT '',
	stream_id    TEXT NOT NULL DEFAULT '',
	seq          BIGINT NOT NULL DEFAULT 0,
	text         TEXT NOT NULL DEFAULT '',
	listing_ids  TEXT NOT NULL DEFAULT '[]',
	image_hashes TEXT NOT NULL DEFAULT '[]',
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);
CREATE INDEX content_stream ON content_items (stream_id, seq);

-- Orders arrive by upsert or by events in any order: every column but id
-- has a default so an order.paid seen before order.created still lands.
CREATE TABLE orders (
	id               TEXT PRIMARY KEY,
	merchant_id      TEXT NOT NULL DEFAULT '',
	buyer_id         TEXT NOT NULL DEFAULT '',
	influencer_id    TEXT NOT NULL DEFAULT '',
	items            TEXT NOT NULL DEFAULT '[]',
	total_fen        BIGINT NOT NULL DEFAULT 0,
	currency         TEXT NOT NULL DEFAULT 'CNY',
	status           TEXT NOT NULL DEFAULT 'created',
	pii_ref          TEXT NOT NULL DEFAULT '',
	promised_ship_at BIGINT,
	created_at       BIGINT NOT NULL,
	paid_at          BIGINT,
	shipped_at       BIGINT,
	delivered_at     BIGINT,
	cancelled_at     BIGINT,
	updated_at       BIGINT NOT NULL
);
CREATE INDEX orders_merchant ON orders (merchant_id, id);
CREATE INDEX orders_buyer ON orders (buyer_id);
CREATE INDEX orders_created ON orders (created_at);

CREATE TABLE shipments (
	id          TEXT PRIMARY KEY,
	order_id    TEXT NOT NULL,
	carrier     TEXT NOT NULL DEFAULT '',
	tracking_no TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL DEFAULT 'created',
	updated_at  BIGINT NOT NULL
);
CREATE INDEX shipments_order ON shipments (order_id);

CREATE TABLE shipment_scans (
	shipment_id TEXT NOT NULL,
	seq         BIGINT NOT NULL,
	code        TEXT NOT NULL,
	at          BIGINT NOT NULL,
	location    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (shipment_id, seq)
);

CREATE TABLE aftersales (
	id          TEXT PRIMARY KEY,
	order_id    TEXT NOT NULL,
	buyer_id    TEXT NOT NULL DEFAULT '',
	kind        TEXT NOT NULL,
	reason      TEXT NOT NULL DEFAULT '',
	amount_fen  BIGINT NOT NULL DEFAULT 0,
	status      TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE INDEX aftersales_order ON aftersales (order_id);

-- Events: the marketplace's id is the primary key, which is what makes
-- POST /v1/events idempotent.
CREATE TABLE events (
	id          TEXT PRIMARY KEY,
	type        TEXT NOT NULL,
	subject_id  TEXT NOT NULL DEFAULT '',
	occurred_at BIGINT NOT NULL,
	received_at BIGINT NOT NULL,
	data        TEXT NOT NULL
);
CREATE INDEX events_received ON events (received_at);

CREATE TABLE outbox (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	type        TEXT NOT NULL,
	subject_id  TEXT NOT NULL DEFAULT '',
	payload     TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	fanned_out  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_fanout ON outbox (fanned_out, seq);

CREATE TABLE webhooks (
	id          TEXT PRIMARY KEY,
	url         TEXT NOT NULL,
	types       TEXT NOT NULL DEFAULT '[]',
	secret      TEXT NOT NULL,
	active      INTEGER NOT NULL DEFAULT 1,
	created_at  BIGINT NOT NULL
);

CREATE TABLE deliveries (
	id           TEXT PRIMARY KEY,
	webhook_id   TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
	message_id   TEXT NOT NULL REFERENCES outbox(id),
	state        TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_at      BIGINT NOT NULL,
	locked_until BIGINT NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	last_status  INTEGER NOT NULL DEFAULT 0,
	delivered_at BIGINT,
	UNIQUE (webhook_id, message_id)
);
CREATE INDEX deliveries_due ON deliveries (state, next_at);

-- Jobs: (kind, job_key) is unique so scheduling the same timer twice keeps one.
CREATE TABLE jobs (
	id          TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	job_key     TEXT NOT NULL,
	run_at      BIGINT NOT NULL,
	payload     TEXT NOT NULL DEFAULT '{}',
	state       TEXT NOT NULL DEFAULT 'pending',
	attempts    INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	done_at     BIGINT,
	done_by     TEXT NOT NULL DEFAULT '',
	UNIQUE (kind, job_key)
);
CREATE INDEX jobs_due ON jobs (state, run_at);
