-- 0510: the privacy audit chain becomes keyed. Rows from keyed_from on are
-- chained with HMAC-SHA256 under a key derived from a secret wrapped by the
-- vault's KEK (never stored unwrapped), so a database writer can no longer
-- recompute the chain after editing or removing rows. Existing rows cannot
-- be re-chained here (SQL has no access to the KEK), so this marks a version
-- boundary instead: rows before keyed_from keep their SHA-256 chain, and the
-- first keyed row's MAC covers the last unkeyed row's hash, which seals the
-- older rows too. mac is the head's own MAC (seq, hash, keyed_from), written
-- with every keyed append; it is empty until the first one.
ALTER TABLE privacy_audit_head ADD COLUMN keyed_from BIGINT NOT NULL DEFAULT 1;
ALTER TABLE privacy_audit_head ADD COLUMN mac TEXT NOT NULL DEFAULT '';
UPDATE privacy_audit_head SET keyed_from = seq + 1;
