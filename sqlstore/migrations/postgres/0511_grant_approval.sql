-- 0511: two-person rule for decrypt grants. A grant takes effect only once a
-- second privacy key approves it (approved_by, approved_at); grants made
-- before this migration were approved by nobody, so they stop working until
-- a second privacy key approves them (and wildcard grants longer than a day
-- cannot be approved: request new ones).
ALTER TABLE pii_grants ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE pii_grants ADD COLUMN approved_at BIGINT;
