-- 0300: customer care. Tickets are routed to skill groups and worked against
-- SLA clocks. Each clock row keeps its next due instant (escalation or
-- breach) in next_at with an index, so finding the clocks due now is an
-- index range scan even with a million open tickets; the durable job runner
-- fires each clock through a job keyed by clock and generation, so a clock
-- that pauses or restarts never fires a stale timer. Calendars and group
-- policies are JSON documents validated by the care engine before storage.

CREATE TABLE care_calendars (
	id          TEXT PRIMARY KEY,
	def         TEXT NOT NULL,
	updated_at  BIGINT NOT NULL
);

CREATE TABLE care_groups (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	calendar_id TEXT NOT NULL REFERENCES care_calendars(id),
	targets     TEXT NOT NULL,
	warn_at_bp  BIGINT NOT NULL,
	agents      TEXT NOT NULL DEFAULT '[]',
	rr_next     BIGINT NOT NULL DEFAULT 0,
	updated_at  BIGINT NOT NULL
);

CREATE TABLE care_tickets (
	id                TEXT PRIMARY KEY,
	requester_kind    TEXT NOT NULL,
	requester_id      TEXT NOT NULL,
	merchant_id       TEXT NOT NULL DEFAULT '',
	order_id          TEXT NOT NULL DEFAULT '',
	claim_id          TEXT NOT NULL DEFAULT '',
	listing_id        TEXT NOT NULL DEFAULT '',
	subject           TEXT NOT NULL DEFAULT '',
	body              TEXT NOT NULL DEFAULT '',
	attachments       TEXT NOT NULL DEFAULT '[]',
	grp               TEXT NOT NULL REFERENCES care_groups(id),
	priority          TEXT NOT NULL,
	status            TEXT NOT NULL,
	assignee_id       TEXT NOT NULL DEFAULT '',
	merged_into       TEXT NOT NULL DEFAULT '',
	routed_by         TEXT NOT NULL,
	confidence        DOUBLE PRECISION NOT NULL DEFAULT 0,
	escalated         INTEGER NOT NULL DEFAULT 0,
	label_confirmed   INTEGER NOT NULL DEFAULT 0,
	created_at        BIGINT NOT NULL,
	first_response_at BIGINT,
	resolved_at       BIGINT,
	updated_at        BIGINT NOT NULL
);
CREATE INDEX care_tickets_queue ON care_tickets (grp, status, created_at);
CREATE INDEX care_tickets_merchant ON care_tickets (merchant_id, created_at);
CREATE INDEX care_tickets_assignee ON care_tickets (assignee_id, status);
CREATE INDEX care_tickets_created ON care_tickets (created_at);
CREATE INDEX care_tickets_resolved ON care_tickets (resolved_at);
CREATE INDEX care_tickets_order ON care_tickets (order_id);

CREATE TABLE care_messages (
	id          TEXT PRIMARY KEY,
	ticket_id   TEXT NOT NULL REFERENCES care_tickets(id),
	author_kind TEXT NOT NULL,
	author_id   TEXT NOT NULL,
	body        TEXT NOT NULL,
	internal    INTEGER NOT NULL DEFAULT 0,
	attachments TEXT NOT NULL DEFAULT '[]',
	created_at  BIGINT NOT NULL
);
CREATE INDEX care_messages_ticket ON care_messages (ticket_id, created_at);

CREATE TABLE care_clocks (
	ticket_id     TEXT NOT NULL REFERENCES care_tickets(id),
	kind          TEXT NOT NULL,
	state         TEXT NOT NULL,
	budget_s      BIGINT NOT NULL,
	consumed_s    BIGINT NOT NULL DEFAULT 0,
	running_since BIGINT,
	due_at        BIGINT,
	warn_at       BIGINT,
	escalated     INTEGER NOT NULL DEFAULT 0,
	breached_at   BIGINT,
	stopped_at    BIGINT,
	gen           BIGINT NOT NULL DEFAULT 0,
	next_at       BIGINT,
	PRIMARY KEY (ticket_id, kind)
);
CREATE INDEX care_clocks_next ON care_clocks (next_at);

CREATE TABLE care_sla_events (
	id         TEXT PRIMARY KEY,
	ticket_id  TEXT NOT NULL,
	grp        TEXT NOT NULL,
	kind       TEXT NOT NULL,
	event      TEXT NOT NULL,
	at         BIGINT NOT NULL
);
CREATE INDEX care_sla_events_at ON care_sla_events (at);

CREATE TABLE care_macros (
	id          TEXT PRIMARY KEY,
	grp         TEXT NOT NULL DEFAULT '',
	title       TEXT NOT NULL,
	body        TEXT NOT NULL,
	updated_at  BIGINT NOT NULL
);

CREATE TABLE care_surveys (
	ticket_id   TEXT PRIMARY KEY REFERENCES care_tickets(id),
	grp         TEXT NOT NULL,
	assignee_id TEXT NOT NULL DEFAULT '',
	score       INTEGER NOT NULL,
	comment     TEXT NOT NULL DEFAULT '',
	answered_at BIGINT NOT NULL
);

CREATE TABLE care_models (
	id         TEXT PRIMARY KEY,
	model      TEXT NOT NULL,
	source     TEXT NOT NULL,
	n_train    BIGINT NOT NULL,
	n_test     BIGINT NOT NULL,
	accuracy   DOUBLE PRECISION NOT NULL,
	trained_at BIGINT NOT NULL
);
CREATE INDEX care_models_trained ON care_models (trained_at);
