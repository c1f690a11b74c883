-- 0431: the submitter's settings and the operator's retries. dsa_submitter
-- holds the one "since" instant: statements created before it are never
-- queued, so turning the submitter on does not file a deployment's whole
-- history. It is stored, not taken from each start, so statements created
-- while the server was down are still queued after a restart. The
-- retried_* columns name who last sent a dead letter again and why (the
-- audit chain records it too, when the vault is configured).
CREATE TABLE dsa_submitter (
	id         INTEGER PRIMARY KEY,
	since      BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
ALTER TABLE dsa_submissions ADD COLUMN retried_by TEXT NOT NULL DEFAULT '';
ALTER TABLE dsa_submissions ADD COLUMN retry_note TEXT NOT NULL DEFAULT '';
ALTER TABLE dsa_submissions ADD COLUMN retried_at BIGINT;
