-- 0710: every check reads its merchant's enforcement state (standing
-- sanctions, point totals) inside the group commit. On SQLite the server
-- keeps that state in memory; this counter tells it whether anything
-- changed it since: every transaction that writes a sanction or a
-- violation adds one, so a replica, or a command run against the same
-- file, that changed a merchant's record makes the others' memory stale by
-- one cheap row read per group, not one query per check.
CREATE TABLE enforcement_version (
	id      INTEGER PRIMARY KEY,
	version BIGINT NOT NULL
);
INSERT INTO enforcement_version (id, version) VALUES (1, 0);
