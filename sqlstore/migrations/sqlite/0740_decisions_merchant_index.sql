-- 0740: every listing or content check adds one gov_decisions row, and each
-- index on the table is one more B-tree insert and, on a large table, one
-- more page written to the log at COMMIT. gov_decisions_merchant (merchant,
-- time) is used by no query on SQLite: the decision list filters on the
-- merchant as "(? = '' OR merchant_id = ?)", which SQLite's planner cannot
-- answer from an index, so it reads gov_decisions_created either way (see
-- EXPLAIN QUERY PLAN). The subject and time indexes stay: the history, the
-- listing facts, the list, the backtest and the report read them.
DROP INDEX gov_decisions_merchant;
