package sqlstore

import (
	"context"

	"anxin"
)

// privacySection is the report's privacy section: how much personal data is
// sealed, how many shipped orders went out on masked waybills, decrypts by
// purpose, refusals, and exfiltration alerts and their outcomes. The generic
// Section holds numbers only, so "decrypts_by_purpose" is emitted as one
// metric per purpose (decrypts_by_purpose_<purpose>) plus a chart.
func privacySection(ctx context.Context, db *DB, p anxin.Period) (anxin.Section, error) {
	from, to := ms(p.From), ms(p.To)
	sec := anxin.Section{Key: "privacy", Title: "Privacy: sealed data, masked waybills and audited access"}
	add := func(name, label string, v float64) {
		sec.Metrics = append(sec.Metrics, anxin.Metric{Name: name, Label: label, Value: v})
	}
	rate := func(n, d int64) float64 {
		if d == 0 {
			return 0
		}
		return float64(n) / float64(d)
	}
	var err error
	count := func(q string, args ...any) int64 {
		if err != nil {
			return 0
		}
		var n int64
		n, err = db.count(ctx, q, args...)
		return n
	}
	shipped := count(`SELECT COUNT(*) FROM orders WHERE shipped_at >= ? AND shipped_at < ?`, from, to)
	shippedMasked := count(`SELECT COUNT(*) FROM orders o WHERE o.shipped_at >= ? AND o.shipped_at < ?
		AND EXISTS (SELECT 1 FROM privacy_waybills w WHERE w.order_id = o.id)`, from, to)
	waybills := count(`SELECT COUNT(*) FROM privacy_waybills WHERE printed_at >= ? AND printed_at < ?`, from, to)
	virtual := count(`SELECT COUNT(*) FROM privacy_waybills WHERE printed_at >= ? AND printed_at < ? AND phone_mode = 'virtual'`, from, to)
	created := count(`SELECT COUNT(*) FROM orders WHERE created_at >= ? AND created_at < ?`, from, to)
	sealedOrders := count(`SELECT COUNT(*) FROM orders o WHERE o.created_at >= ? AND o.created_at < ?
		AND EXISTS (SELECT 1 FROM vault_records r WHERE r.order_id = o.id)`, from, to)
	decrypts := count(`SELECT COUNT(*) FROM privacy_audit WHERE action = 'decrypt' AND outcome = 'allowed' AND at >= ? AND at < ?`, from, to)
	refused := count(`SELECT COUNT(*) FROM privacy_audit WHERE action = 'decrypt' AND outcome <> 'allowed' AND at >= ? AND at < ?`, from, to)
	alerts := count(`SELECT COUNT(*) FROM privacy_alerts WHERE opened_at >= ? AND opened_at < ?`, from, to)
	confirmed := count(`SELECT COUNT(*) FROM privacy_alerts WHERE opened_at >= ? AND opened_at < ? AND resolution = 'confirmed'`, from, to)
	falsePos := count(`SELECT COUNT(*) FROM privacy_alerts WHERE opened_at >= ? AND opened_at < ? AND resolution = 'false_positive'`, from, to)
	if err != nil {
		return sec, err
	}
	add("masked_waybill_rate", "Shipped orders with a masked waybill", rate(shippedMasked, shipped))
	add("virtual_number_rate", "Waybills with a virtual number", rate(virtual, waybills))
	// Every sealed order seals all three fields (name, phone, address); an
	// order without a sealed record has none sealed.
	add("sealed_field_rate", "Personal fields of new orders stored sealed", rate(sealedOrders*3, created*3))
	add("decrypts_total", "Decrypts allowed", float64(decrypts))
	add("decrypt_refusals", "Decrypts refused", float64(refused))
	chart := anxin.Series{Name: "decrypts_by_purpose", Title: "Decrypts by purpose"}
	for _, purpose := range anxin.Purposes {
		n := count(`SELECT COUNT(*) FROM privacy_audit WHERE action = 'decrypt' AND outcome = 'allowed' AND purpose = ? AND at >= ? AND at < ?`, purpose, from, to)
		if err != nil {
			return sec, err
		}
		add("decrypts_by_purpose_"+purpose, "Decrypts for "+purpose, float64(n))
		chart.Labels = append(chart.Labels, purpose)
		chart.Values = append(chart.Values, float64(n))
	}
	sec.Charts = append(sec.Charts, chart)
	add("alerts_total", "Exfiltration alerts raised", float64(alerts))
	add("alerts_confirmed", "Alerts confirmed", float64(confirmed))
	add("alerts_false_positive", "Alerts resolved as false positives", float64(falsePos))
	return sec, nil
}
