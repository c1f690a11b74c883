package protection

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzProgrammeConfig feeds arbitrary configurations through Validate and,
// for valid ones, Adjudicate: nothing panics, and a programme that Validate
// accepts without allow_over_order never pays more than the order.
func FuzzProgrammeConfig(f *testing.F) {
	for _, p := range Defaults() {
		b, _ := json.Marshal(p)
		f.Add(b, int64(19900))
	}
	f.Add([]byte(`{"id":"x","name":"x","kind":"damage_return","trigger":{"type":"claim","claim_types":["damaged"]},"window":{"start":"signed","hours":72},"payout":{"kind":"percentage","rate_bp":9000,"min_fen":500},"funding":"merchant","eligibility":{"min_order_fen":500}}`), int64(501))
	f.Fuzz(func(t *testing.T, cfg []byte, total int64) {
		p := new(Programme)
		if json.Unmarshal(cfg, p) != nil || p.Validate() != nil || p.Kind == KindBundle {
			return
		}
		p.Active = true
		if total < p.Eligibility.MinOrderFen || total > 1<<50 || total < 1 {
			return
		}
		now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
		c := &Case{Programme: p, BuyerID: "b", Standing: "good", TriggeredByEvent: true, MerchantResponse: "accept",
			Order: Order{ID: "o", BuyerID: "b", TotalFen: total, PaidAt: &now, SignedAt: &now, Covered: []string{p.ID}}, Now: now}
		if len(p.Trigger.ClaimTypes) > 0 {
			c.ClaimType, c.TriggeredByEvent = p.Trigger.ClaimTypes[0], false
		}
		for _, k := range p.Evidence {
			c.Evidence = append(c.Evidence, Evidence{Kind: k, SHA256: k})
		}
		_ = CheckFiling(c)
		d := Adjudicate(c)
		if d.AmountFen < 0 {
			t.Fatalf("negative payout %d", d.AmountFen)
		}
		if !p.AllowOverOrder && d.AmountFen > total {
			t.Fatalf("programme %s pays %d on an order of %d without allow_over_order", p.ID, d.AmountFen, total)
		}
	})
}
