package sqlstore

// scopedStats are the dashboard counts a scoped principal may see, each
// restricted to its own records by one ? bound to its id. A count without an
// entry here is the whole marketplace's and is left off a merchant's or a
// rights holder's dashboard: a new count stays hidden from them until it
// gets a scoped query (fail closed).
var scopedStats = map[string]map[string]string{
	"merchant": {
		"listings":          `SELECT COUNT(*) FROM listings WHERE merchant_id = ?`,
		"orders":            `SELECT COUNT(*) FROM orders WHERE merchant_id = ?`,
		"claims_escalated":  `SELECT COUNT(*) FROM claims WHERE merchant_id = ? AND status IN ('escalated', 'appealed')`,
		"payouts_unacked":   `SELECT COUNT(*) FROM payouts WHERE merchant_id = ? AND status = 'pending'`,
		"care_open":         `SELECT COUNT(*) FROM care_tickets WHERE merchant_id = ? AND status IN ('open', 'waiting')`,
		"sampling_failed":   `SELECT COUNT(*) FROM sampling_samples WHERE merchant_id = ? AND status = 'failed'`,
		"gov_appeals_open":  `SELECT COUNT(*) FROM gov_appeals WHERE merchant_id = ? AND status = 'open'`,
		"notices_open":      `SELECT COUNT(*) FROM notices WHERE merchant_id = ? AND state IN ('filed', 'countered')`,
		"counterfeit_flags": `SELECT COUNT(*) FROM counterfeit_flags f JOIN listings l ON l.id = f.listing_id WHERE l.merchant_id = ?`,
	},
	"rightsholder": {
		"notices_open": `SELECT COUNT(*) FROM notices WHERE rights_holder_id = ? AND state IN ('filed', 'countered')`,
	},
}
