-- 0430: submission of statements of reasons to the DSA Transparency
-- Database. One row per statement once the submitter has seen it; the row
-- is the statement's submission state (pending, failed, submitted, dead,
-- skipped), so a statement is sent again only while it is not submitted,
-- and a dead one only after an operator retries it. statement_created_at
-- copies the statement's time so new statements are found from the newest
-- row queued without scanning every statement. locked_by and locked_until
-- are a claim's lease: a replica that dies mid-batch loses nothing, and a
-- replica whose lease was taken records nothing.
CREATE TABLE dsa_submissions (
	statement_id         TEXT PRIMARY KEY REFERENCES gov_statements(id),
	puid                 TEXT NOT NULL,
	state                TEXT NOT NULL DEFAULT 'pending',
	attempts             INTEGER NOT NULL DEFAULT 0,
	next_at              BIGINT NOT NULL,
	locked_by            TEXT NOT NULL DEFAULT '',
	locked_until         BIGINT NOT NULL DEFAULT 0,
	last_status          INTEGER NOT NULL DEFAULT 0,
	last_error           TEXT NOT NULL DEFAULT '',
	last_try_at          BIGINT,
	submitted_at         BIGINT,
	remote_uuid          TEXT NOT NULL DEFAULT '',
	statement_created_at BIGINT NOT NULL,
	created_at           BIGINT NOT NULL
);
CREATE INDEX dsa_submissions_due ON dsa_submissions (state, next_at, statement_created_at);
CREATE INDEX dsa_submissions_order ON dsa_submissions (statement_created_at);
CREATE INDEX dsa_submissions_puid ON dsa_submissions (puid);
-- The export and the submitter read statements by creation time.
CREATE INDEX gov_statements_created ON gov_statements (created_at, id);
