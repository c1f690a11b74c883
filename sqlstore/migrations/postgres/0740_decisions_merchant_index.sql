-- 0740: SQLite drops gov_decisions_merchant, which its planner never uses.
-- PostgreSQL keeps it: planning the decision list with the bound merchant
-- it can read a merchant's decisions from this index instead of filtering
-- the whole time range, so nothing changes here.
SELECT 1;
