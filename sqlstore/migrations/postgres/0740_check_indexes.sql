-- 0740: see the SQLite migration. No query selects enforcement rows by
-- merchant, so gov_enforcements_merchant goes. gov_decisions_merchant stays
-- here: PostgreSQL plans the decision list with the bound merchant and can
-- read a merchant's decisions from it instead of filtering the whole time
-- range (SQLite's planner cannot, so SQLite drops it).
DROP INDEX gov_enforcements_merchant;
