-- Idempotency keys of POST /v1/care/tickets: a request retried with the same
-- Idempotency-Key (per caller role) gets the ticket the first one opened,
-- instead of a duplicate in the queue. A table of its own rather than a
-- column of care_tickets, which a later migration creates.
CREATE TABLE care_ticket_keys (
	scope      TEXT NOT NULL,   -- the caller's role: platform, care, merchant:<id>
	idem_key   TEXT NOT NULL,
	request    TEXT NOT NULL,   -- SHA-256 of the request, so a different body under the key is refused
	ticket_id  TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (scope, idem_key)
);
