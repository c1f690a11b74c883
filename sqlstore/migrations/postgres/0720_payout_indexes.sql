-- 0720: every automatic claim decision sums the refund-like payouts already
-- made on its order (they bound what is left to pay) and, under a
-- programme with a buyer quota, the buyer's automatic payouts in the quota
-- window. Without these indexes both were scans of the whole payouts table,
-- so a decision got slower with every payout ever made.
CREATE INDEX payouts_order ON payouts (order_id);
CREATE INDEX payouts_buyer ON payouts (buyer_id, programme_id, created_at);
