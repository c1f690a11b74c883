-- 0512: failed virtual-number routing attempts, per caller key
-- (scope 'key') and per virtual number (scope 'number'), so that extension
-- guessing is throttled across every replica (see package privacy,
-- RouteLimits). Times are milliseconds.
CREATE TABLE route_limits (
	scope           TEXT NOT NULL,
	subject         TEXT NOT NULL,
	failures        BIGINT NOT NULL DEFAULT 0,
	last_failure_at BIGINT NOT NULL DEFAULT 0,
	blocked_until   BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (scope, subject)
);
