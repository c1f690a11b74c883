-- 0200: buyer protection and the guarantee-fund ledger. Programmes are
-- versioned configuration; orders record which programme versions covered
-- them at payment time; claims are idempotent by key and unique per order and
-- programme; decisions and ledger postings are append-only (triggers refuse
-- UPDATE and DELETE); a payout is unique per claim, per trigger and per
-- decision, so money can never be paid twice for one claim.

CREATE TABLE protection_programmes (
	id          TEXT NOT NULL,
	version     INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	name        TEXT NOT NULL,
	active      INTEGER NOT NULL DEFAULT 1,
	config      TEXT NOT NULL,
	created_by  TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	PRIMARY KEY (id, version)
);

CREATE TABLE protection_enrolments (
	merchant_id  TEXT NOT NULL,
	programme_id TEXT NOT NULL,
	via          TEXT NOT NULL DEFAULT '',
	enrolled_at  BIGINT NOT NULL,
	PRIMARY KEY (merchant_id, programme_id)
);

CREATE TABLE order_coverage (
	order_id          TEXT NOT NULL,
	programme_id      TEXT NOT NULL,
	programme_version INTEGER NOT NULL,
	covered_at        BIGINT NOT NULL,
	PRIMARY KEY (order_id, programme_id)
);
CREATE INDEX order_coverage_at ON order_coverage (covered_at);

CREATE TABLE claims (
	id                TEXT PRIMARY KEY,
	idem_key          TEXT NOT NULL UNIQUE,
	order_id          TEXT NOT NULL,
	buyer_id          TEXT NOT NULL,
	merchant_id       TEXT NOT NULL,
	programme_id      TEXT NOT NULL,
	programme_version INTEGER NOT NULL,
	type              TEXT NOT NULL,
	source            TEXT NOT NULL,
	status            TEXT NOT NULL,
	reason            TEXT NOT NULL DEFAULT '',
	statement         TEXT NOT NULL DEFAULT '',
	amount_fen        BIGINT NOT NULL DEFAULT 0,
	currency          TEXT NOT NULL,
	automated         INTEGER NOT NULL DEFAULT 0,
	merchant_response TEXT NOT NULL DEFAULT '',
	merchant_note     TEXT NOT NULL DEFAULT '',
	merchant_deadline BIGINT,
	return_picked_up  INTEGER NOT NULL DEFAULT 0,
	created_at        BIGINT NOT NULL,
	decided_at        BIGINT,
	updated_at        BIGINT NOT NULL,
	UNIQUE (order_id, programme_id)
);
CREATE INDEX claims_buyer ON claims (buyer_id, created_at);
CREATE INDEX claims_merchant ON claims (merchant_id, id);
CREATE INDEX claims_status ON claims (status, id);
CREATE INDEX claims_created ON claims (created_at);

CREATE TABLE claim_evidence (
	id           TEXT PRIMARY KEY,
	claim_id     TEXT NOT NULL REFERENCES claims(id),
	kind         TEXT NOT NULL,
	content_type TEXT NOT NULL,
	sha256       TEXT NOT NULL,
	size_bytes   BIGINT NOT NULL,
	created_at   BIGINT NOT NULL,
	UNIQUE (claim_id, sha256)
);
CREATE INDEX claim_evidence_hash ON claim_evidence (sha256);

CREATE TABLE claim_decisions (
	id          TEXT PRIMARY KEY,
	claim_id    TEXT NOT NULL REFERENCES claims(id),
	seq         INTEGER NOT NULL,
	outcome     TEXT NOT NULL,
	reason      TEXT NOT NULL,
	statement   TEXT NOT NULL,
	amount_fen  BIGINT NOT NULL DEFAULT 0,
	decided_by  TEXT NOT NULL,
	automated   INTEGER NOT NULL DEFAULT 0,
	created_at  BIGINT NOT NULL,
	UNIQUE (claim_id, seq)
);
CREATE INDEX claim_decisions_at ON claim_decisions (created_at);

CREATE TABLE claim_appeals (
	claim_id    TEXT PRIMARY KEY REFERENCES claims(id),
	appellant   TEXT NOT NULL,
	reason      TEXT NOT NULL,
	status      TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	decided_at  BIGINT
);

CREATE TABLE ledger_postings (
	id          TEXT PRIMARY KEY,
	seq         BIGSERIAL UNIQUE,
	kind        TEXT NOT NULL,
	ref         TEXT NOT NULL UNIQUE,
	currency    TEXT NOT NULL,
	memo        TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL
);
CREATE INDEX ledger_postings_at ON ledger_postings (created_at);

CREATE TABLE ledger_entries (
	posting_id  TEXT NOT NULL REFERENCES ledger_postings(id),
	line        INTEGER NOT NULL,
	account     TEXT NOT NULL,
	currency    TEXT NOT NULL,
	amount_fen  BIGINT NOT NULL,
	PRIMARY KEY (posting_id, line)
);
CREATE INDEX ledger_entries_account ON ledger_entries (account, currency);

CREATE TABLE ledger_balances (
	account     TEXT NOT NULL,
	currency    TEXT NOT NULL,
	kind        TEXT NOT NULL,
	owner       TEXT NOT NULL DEFAULT '',
	balance_fen BIGINT NOT NULL DEFAULT 0,
	updated_at  BIGINT NOT NULL,
	PRIMARY KEY (account, currency)
);
CREATE INDEX ledger_balances_owner ON ledger_balances (owner, kind);

CREATE TABLE payouts (
	id           TEXT PRIMARY KEY,
	claim_id     TEXT NOT NULL UNIQUE REFERENCES claims(id),
	trigger_key  TEXT NOT NULL UNIQUE,
	decision_id  TEXT NOT NULL UNIQUE REFERENCES claim_decisions(id),
	order_id     TEXT NOT NULL,
	buyer_id     TEXT NOT NULL,
	merchant_id  TEXT NOT NULL,
	programme_id TEXT NOT NULL,
	amount_fen   BIGINT NOT NULL,
	currency     TEXT NOT NULL,
	funding      TEXT NOT NULL,
	form         TEXT NOT NULL,
	refund_like  INTEGER NOT NULL DEFAULT 1, -- counts against the order total (allow_over_order unset)
	posting_id   TEXT NOT NULL REFERENCES ledger_postings(id),
	message_id   TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL,
	ack_posting  TEXT NOT NULL DEFAULT '',
	ack_amount   BIGINT NOT NULL DEFAULT 0,
	ack_note     TEXT NOT NULL DEFAULT '',
	acked_at     BIGINT,
	created_at   BIGINT NOT NULL
);
CREATE INDEX payouts_created ON payouts (created_at);
CREATE INDEX payouts_merchant ON payouts (merchant_id, id);

CREATE TABLE recoveries (
	id          TEXT PRIMARY KEY,
	payout_id   TEXT NOT NULL, -- written before its payout row, in the same transaction
	posting_id  TEXT NOT NULL REFERENCES ledger_postings(id),
	account     TEXT NOT NULL,
	amount_fen  BIGINT NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE INDEX recoveries_payout ON recoveries (payout_id);

CREATE TABLE merchant_deposits (
	merchant_id   TEXT PRIMARY KEY,
	floor_fen     BIGINT NOT NULL,
	restricted    INTEGER NOT NULL DEFAULT 0,
	restricted_at BIGINT,
	lifted_at     BIGINT,
	updated_at    BIGINT NOT NULL
);

CREATE FUNCTION anxin_append_only() RETURNS trigger AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings FOR EACH ROW EXECUTE FUNCTION anxin_append_only();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries FOR EACH ROW EXECUTE FUNCTION anxin_append_only();
CREATE TRIGGER claim_decisions_append_only BEFORE UPDATE ON claim_decisions FOR EACH ROW EXECUTE FUNCTION anxin_append_only();
