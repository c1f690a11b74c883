-- 0740: every listing or content check adds a gov_decisions row, and a
-- blocked one a gov_enforcements row per action. Each index on those tables
-- is one more B-tree insert and, keyed by merchant, one more page of its
-- own written to the log at COMMIT. Two of them serve no query:
--
-- gov_decisions_merchant (merchant, time): the decision list filters on the
-- merchant as "(? = '' OR merchant_id = ?)", which SQLite's planner cannot
-- answer from an index, so it reads gov_decisions_created either way (see
-- EXPLAIN QUERY PLAN). The subject and time indexes stay: the history, the
-- listing facts, the list, the backtest and the report read them.
--
-- gov_enforcements_merchant (merchant, status): no query selects
-- enforcement rows by merchant (a merchant's record reads its statements
-- and sanctions).
DROP INDEX gov_decisions_merchant;
DROP INDEX gov_enforcements_merchant;
