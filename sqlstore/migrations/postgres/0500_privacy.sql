-- 0500: privacy. Buyers' personal data is stored only sealed (AES-256-GCM
-- per field, a data key per record wrapped by a versioned KEK kept outside
-- the database); masked copies let masked views skip decryption; blind
-- indexes (keyed HMAC) let care and merchants find an order by phone or name
-- without decrypting; grants scope decrypts; virtual-number bindings keep
-- real numbers off waybills; the audit log is append-only and hash-chained
-- (the head row serialises appends); alerts, cases and throttles are the
-- exfiltration detector's output.

CREATE TABLE vault_data_keys (
	id           TEXT PRIMARY KEY,
	purpose      TEXT NOT NULL DEFAULT 'record',
	kek_version  BIGINT NOT NULL,
	wrapped      TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	rewrapped_at BIGINT
);
CREATE INDEX vault_data_keys_version ON vault_data_keys (kek_version);

CREATE TABLE vault_records (
	id             TEXT PRIMARY KEY,
	order_id       TEXT NOT NULL UNIQUE,
	merchant_id    TEXT NOT NULL DEFAULT '',
	data_key_id    TEXT NOT NULL REFERENCES vault_data_keys(id),
	name_sealed    TEXT NOT NULL,
	phone_sealed   TEXT NOT NULL,
	address_sealed TEXT NOT NULL,
	extra_sealed   TEXT NOT NULL DEFAULT '',
	masked_name    TEXT NOT NULL,
	masked_phone   TEXT NOT NULL,
	masked_address TEXT NOT NULL,
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL
);

CREATE TABLE vault_index (
	kind        TEXT NOT NULL,
	digest      TEXT NOT NULL,
	record_id   TEXT NOT NULL,
	order_id    TEXT NOT NULL,
	merchant_id TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (kind, digest, record_id)
);
CREATE INDEX vault_index_merchant ON vault_index (kind, digest, merchant_id);
CREATE INDEX vault_index_record ON vault_index (record_id);

CREATE TABLE pii_grants (
	id          TEXT PRIMARY KEY,
	role        TEXT NOT NULL,
	purpose     TEXT NOT NULL,
	order_id    TEXT NOT NULL,
	expires_at  BIGINT NOT NULL,
	note        TEXT NOT NULL DEFAULT '',
	created_by  TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	revoked_at  BIGINT
);
CREATE INDEX pii_grants_lookup ON pii_grants (role, purpose, order_id);

CREATE TABLE virtual_bindings (
	id          TEXT PRIMARY KEY,
	order_id    TEXT NOT NULL,
	record_id   TEXT NOT NULL,
	x_number    TEXT NOT NULL,
	extension   TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	expires_at  BIGINT NOT NULL,
	released_at BIGINT
);
CREATE UNIQUE INDEX virtual_bindings_live ON virtual_bindings (x_number, extension) WHERE released_at IS NULL;
CREATE INDEX virtual_bindings_order ON virtual_bindings (order_id);

CREATE TABLE privacy_waybills (
	id          TEXT PRIMARY KEY,
	order_id    TEXT NOT NULL,
	phone_mode  TEXT NOT NULL,
	reveal_ref  TEXT NOT NULL UNIQUE,
	printed_at  BIGINT NOT NULL
);
CREATE INDEX privacy_waybills_order ON privacy_waybills (order_id, printed_at);

CREATE TABLE privacy_audit (
	seq        BIGINT PRIMARY KEY,
	at         BIGINT NOT NULL,
	actor_key  TEXT NOT NULL,
	actor_role TEXT NOT NULL,
	action     TEXT NOT NULL,
	order_id   TEXT NOT NULL DEFAULT '',
	purpose    TEXT NOT NULL DEFAULT '',
	outcome    TEXT NOT NULL,
	detail     TEXT NOT NULL DEFAULT '',
	prev_hash  TEXT NOT NULL,
	hash       TEXT NOT NULL
);
CREATE INDEX privacy_audit_actor ON privacy_audit (actor_key, action, at);
CREATE INDEX privacy_audit_at ON privacy_audit (at);

CREATE TABLE privacy_audit_head (
	id   INTEGER PRIMARY KEY,
	seq  BIGINT NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO privacy_audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE privacy_alerts (
	id          TEXT PRIMARY KEY,
	principal   TEXT NOT NULL,
	role        TEXT NOT NULL,
	kind        TEXT NOT NULL,
	status      TEXT NOT NULL DEFAULT 'open',
	evidence    TEXT NOT NULL DEFAULT '{}',
	case_id     TEXT NOT NULL,
	opened_at   BIGINT NOT NULL,
	resolved_at BIGINT,
	resolution  TEXT NOT NULL DEFAULT '',
	resolved_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX privacy_alerts_principal ON privacy_alerts (principal, kind, status);
CREATE INDEX privacy_alerts_opened ON privacy_alerts (opened_at);

CREATE TABLE privacy_cases (
	id         TEXT PRIMARY KEY,
	alert_id   TEXT NOT NULL,
	principal  TEXT NOT NULL,
	kind       TEXT NOT NULL,
	status     TEXT NOT NULL DEFAULT 'open',
	opened_at  BIGINT NOT NULL,
	closed_at  BIGINT
);

CREATE TABLE privacy_throttles (
	principal TEXT PRIMARY KEY,
	alert_id  TEXT NOT NULL,
	since     BIGINT NOT NULL
);
