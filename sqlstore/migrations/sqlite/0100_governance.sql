-- 0100: content and listing governance. Lexicons and policies are versioned
-- (every edit is a new row) so decisions can name the exact version they ran
-- under and checks reload without a restart: gov_state.version is bumped on
-- every edit and polled by the check path. Decisions, statements of reasons
-- and rule labels are append-only; a statement is never edited (an appeal
-- result is a new statement version). Points live in gov_violations and are
-- summed per cycle, so a reset needs no job; node firings are recorded once
-- per cycle in gov_nodes.

CREATE TABLE gov_state (
	id      INTEGER PRIMARY KEY,
	version BIGINT NOT NULL
);
INSERT INTO gov_state (id, version) VALUES (1, 0);

CREATE TABLE gov_lexicons (
	name        TEXT NOT NULL,
	version     INTEGER NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	active      INTEGER NOT NULL DEFAULT 1,
	deleted     INTEGER NOT NULL DEFAULT 0,
	terms       TEXT NOT NULL,
	updated_by  TEXT NOT NULL DEFAULT '',
	updated_at  BIGINT NOT NULL,
	PRIMARY KEY (name, version)
);

CREATE TABLE gov_policies (
	version      INTEGER PRIMARY KEY,
	name         TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL,
	note         TEXT NOT NULL DEFAULT '',
	rules        TEXT NOT NULL,
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	activated_at BIGINT
);

CREATE TABLE gov_decisions (
	id              TEXT PRIMARY KEY,
	subject_type    TEXT NOT NULL,
	subject_id      TEXT NOT NULL,
	kind            TEXT NOT NULL,
	merchant_id     TEXT NOT NULL DEFAULT '',
	stream_id       TEXT NOT NULL DEFAULT '',
	seq             BIGINT NOT NULL DEFAULT 0,
	stage           TEXT NOT NULL,
	outcome         INTEGER NOT NULL,
	labels          TEXT NOT NULL DEFAULT '[]',
	reasons         TEXT NOT NULL DEFAULT '[]',
	evidence        TEXT NOT NULL DEFAULT '[]',
	rules           TEXT NOT NULL DEFAULT '[]',
	actions         TEXT NOT NULL DEFAULT '[]',
	reason_code     TEXT NOT NULL DEFAULT '',
	cut_stream      INTEGER NOT NULL DEFAULT 0,
	case_id         TEXT NOT NULL DEFAULT '',
	statement_id    TEXT NOT NULL DEFAULT '',
	shadow_outcome  INTEGER,
	policy_version  INTEGER NOT NULL,
	lexicon_version TEXT NOT NULL DEFAULT '',
	snapshot        TEXT NOT NULL DEFAULT '{}',
	created_at      BIGINT NOT NULL
);
CREATE INDEX gov_decisions_subject ON gov_decisions (subject_type, subject_id, created_at);
CREATE INDEX gov_decisions_created ON gov_decisions (created_at);
CREATE INDEX gov_decisions_merchant ON gov_decisions (merchant_id, created_at);

CREATE TABLE gov_decision_rules (
	decision_id TEXT NOT NULL,
	rule_id     TEXT NOT NULL,
	outcome     INTEGER NOT NULL,
	shadow      INTEGER NOT NULL DEFAULT 0,
	created_at  BIGINT NOT NULL,
	PRIMARY KEY (decision_id, rule_id, shadow)
);
CREATE INDEX gov_decision_rules_rule ON gov_decision_rules (rule_id);

-- Recent livestream segments, so a check sees the stream's window.
CREATE TABLE gov_stream_segments (
	stream_id  TEXT NOT NULL,
	seq        BIGINT NOT NULL,
	text       TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (stream_id, seq)
);

CREATE TABLE gov_cases (
	id           TEXT PRIMARY KEY,
	decision_id  TEXT NOT NULL REFERENCES gov_decisions(id),
	subject_type TEXT NOT NULL,
	subject_id   TEXT NOT NULL,
	kind         TEXT NOT NULL,
	merchant_id  TEXT NOT NULL DEFAULT '',
	stage        TEXT NOT NULL,
	priority     INTEGER NOT NULL,
	status       TEXT NOT NULL,
	labels       TEXT NOT NULL DEFAULT '[]',
	reasons      TEXT NOT NULL DEFAULT '[]',
	rule_ids     TEXT NOT NULL DEFAULT '[]',
	evidence     TEXT NOT NULL DEFAULT '[]',
	claimed_by   TEXT NOT NULL DEFAULT '',
	resolution   TEXT NOT NULL DEFAULT '',
	decided_by   TEXT NOT NULL DEFAULT '',
	notes        TEXT NOT NULL DEFAULT '[]',
	statement_id TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	claimed_at   BIGINT,
	decided_at   BIGINT
);
CREATE INDEX gov_cases_queue ON gov_cases (status, priority, created_at);

-- Statements of reasons: immutable; body holds the whole statement as JSON.
CREATE TABLE gov_statements (
	id              TEXT PRIMARY KEY,
	version         INTEGER NOT NULL,
	previous_id     TEXT NOT NULL DEFAULT '',
	merchant_id     TEXT NOT NULL DEFAULT '',
	target_type     TEXT NOT NULL,
	target_id       TEXT NOT NULL,
	outcome         INTEGER NOT NULL,
	appeal_deadline BIGINT,
	body            TEXT NOT NULL,
	created_at      BIGINT NOT NULL
);
CREATE INDEX gov_statements_merchant ON gov_statements (merchant_id, created_at);

-- One row per action applied (DOMAIN §21 enforcement.applied); reversal is
-- recorded on the row. Merchant-target rows with a period are the sanctions.
CREATE TABLE gov_enforcements (
	id           TEXT PRIMARY KEY,
	statement_id TEXT NOT NULL REFERENCES gov_statements(id),
	merchant_id  TEXT NOT NULL DEFAULT '',
	target_type  TEXT NOT NULL,
	target_id    TEXT NOT NULL,
	action       TEXT NOT NULL,
	stage        TEXT NOT NULL,
	cause        TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL,
	starts_at    BIGINT NOT NULL,
	ends_at      BIGINT,
	reversed_at  BIGINT,
	created_at   BIGINT NOT NULL
);
CREATE INDEX gov_enforcements_merchant ON gov_enforcements (merchant_id, status);
CREATE INDEX gov_enforcements_created ON gov_enforcements (created_at);
CREATE INDEX gov_enforcements_statement ON gov_enforcements (statement_id);

CREATE TABLE gov_violations (
	id           TEXT PRIMARY KEY,
	merchant_id  TEXT NOT NULL,
	track        TEXT NOT NULL,
	points       INTEGER NOT NULL,
	counterfeit  INTEGER NOT NULL DEFAULT 0,
	rule_id      TEXT NOT NULL,
	decision_id  TEXT NOT NULL DEFAULT '',
	statement_id TEXT NOT NULL,
	reversed     INTEGER NOT NULL DEFAULT 0,
	created_at   BIGINT NOT NULL
);
CREATE INDEX gov_violations_merchant ON gov_violations (merchant_id, created_at);

-- A node fires once per merchant, track and cycle; an overturn that takes
-- the total back below the node deletes the row so it can fire again.
CREATE TABLE gov_nodes (
	merchant_id  TEXT NOT NULL,
	track        TEXT NOT NULL,
	cycle        TEXT NOT NULL,
	node         INTEGER NOT NULL,
	statement_id TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	PRIMARY KEY (merchant_id, track, cycle, node)
);

CREATE TABLE gov_appeals (
	id           TEXT PRIMARY KEY,
	statement_id TEXT NOT NULL REFERENCES gov_statements(id),
	merchant_id  TEXT NOT NULL,
	text         TEXT NOT NULL,
	status       TEXT NOT NULL,
	decided_by   TEXT NOT NULL DEFAULT '',
	note         TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	decided_at   BIGINT
);
CREATE INDEX gov_appeals_status ON gov_appeals (status, created_at);
CREATE INDEX gov_appeals_statement ON gov_appeals (statement_id);

-- Reviewer outcomes per rule (labels), for measured precision.
CREATE TABLE gov_rule_labels (
	rule_id     TEXT NOT NULL,
	decision_id TEXT NOT NULL,
	label       TEXT NOT NULL,
	source      TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE INDEX gov_rule_labels_rule ON gov_rule_labels (rule_id);
