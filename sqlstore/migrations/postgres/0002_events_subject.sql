-- 0002: an order's timeline on the console lists the events about it, so
-- events are indexed by the order they concern (subject_id) and time.
CREATE INDEX events_subject ON events (subject_id, occurred_at);
