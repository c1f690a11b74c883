-- 0400: anti-counterfeit and IP protection. Identity attributes feed the
-- in-memory relation network (seq lets replicas load only what is new);
-- hash_bank holds known image hashes for the multi-index search; brands,
-- notices and penalties carry the rights-holder workflow; counterfeit_flags
-- remember when Anxin itself flagged a listing, so the report can tell
-- proactive finds from complaint-driven ones; models keep trained text
-- models by version.

CREATE TABLE identity_attributes (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	kind       TEXT NOT NULL,
	entity_id  TEXT NOT NULL,
	type       TEXT NOT NULL,
	value      TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	UNIQUE (kind, entity_id, type, value)
);
CREATE INDEX identity_attributes_value ON identity_attributes (type, value);

CREATE TABLE hash_bank (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	pdq        TEXT NOT NULL,
	label      TEXT NOT NULL,
	brand_id   TEXT NOT NULL DEFAULT '',
	note       TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	UNIQUE (pdq, label, brand_id)
);

CREATE TABLE brands (
	id                TEXT PRIMARY KEY,
	name              TEXT NOT NULL,
	name_key          TEXT NOT NULL,
	aliases           TEXT NOT NULL DEFAULT '[]',
	rights_holder_id  TEXT NOT NULL,
	trademarks        TEXT NOT NULL DEFAULT '[]',
	registration_ref  TEXT NOT NULL,
	ref_prices        TEXT NOT NULL DEFAULT '{}',
	sellers           TEXT NOT NULL DEFAULT '[]',
	self_service      INTEGER NOT NULL DEFAULT 0,
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL
);
CREATE INDEX brands_rights_holder ON brands (rights_holder_id);

CREATE TABLE notices (
	id                TEXT PRIMARY KEY,
	rights_holder_id  TEXT NOT NULL,
	brand_id          TEXT NOT NULL REFERENCES brands(id),
	listing_id        TEXT NOT NULL,
	content_id        TEXT NOT NULL DEFAULT '',
	influencer_id     TEXT NOT NULL DEFAULT '',
	merchant_id       TEXT NOT NULL,
	reason            TEXT NOT NULL,
	family            TEXT NOT NULL,
	evidence          TEXT NOT NULL,
	statement         TEXT NOT NULL DEFAULT '',
	state             TEXT NOT NULL,
	decision          TEXT NOT NULL DEFAULT '',
	idem_key          TEXT NOT NULL,
	filed_at          BIGINT NOT NULL,
	takedown_at       BIGINT,
	counter_at        BIGINT,
	counter_statement TEXT NOT NULL DEFAULT '',
	reinstate_at      BIGINT,
	legal_action      INTEGER NOT NULL DEFAULT 0,
	closed_at         BIGINT,
	proactive_first   INTEGER NOT NULL DEFAULT 0,
	UNIQUE (rights_holder_id, idem_key)
);
CREATE INDEX notices_state ON notices (state, filed_at);
CREATE INDEX notices_merchant ON notices (merchant_id, filed_at);
CREATE INDEX notices_listing ON notices (listing_id);

CREATE TABLE influencer_penalties (
	id            TEXT PRIMARY KEY,
	influencer_id TEXT NOT NULL,
	notice_id     TEXT NOT NULL UNIQUE,
	step          INTEGER NOT NULL,
	params        TEXT NOT NULL,
	created_at    BIGINT NOT NULL
);
CREATE INDEX influencer_penalties_who ON influencer_penalties (influencer_id, created_at);

CREATE TABLE ip_sanctions (
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	action      TEXT NOT NULL,
	days        INTEGER NOT NULL DEFAULT 0,
	notice_id   TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	UNIQUE (merchant_id, action, notice_id)
);

CREATE TABLE counterfeit_flags (
	listing_id    TEXT PRIMARY KEY,
	score         BIGINT NOT NULL,     -- score × 1000
	signals       TEXT NOT NULL,
	by_signals    INTEGER NOT NULL,    -- the combined score reached the flag threshold
	by_lexicon    INTEGER NOT NULL,    -- coded language alone would have flagged it
	flagged_at    BIGINT NOT NULL
);

CREATE TABLE text_models (
	version    INTEGER PRIMARY KEY,
	data       TEXT NOT NULL,
	metrics    TEXT NOT NULL,
	examples   INTEGER NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE TABLE reregistrations (
	merchant_id TEXT PRIMARY KEY,
	linked_to   TEXT NOT NULL,
	risk        BIGINT NOT NULL,       -- × 1000
	evidence    TEXT NOT NULL,
	caught_at   BIGINT NOT NULL
);
