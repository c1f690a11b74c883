package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"anxin"
)

// The care, sampling and quality demo steps. Care turns the simulated
// buyers' complaints into tickets routed by the classifier, answers most of
// them in time and lets the rest escalate and breach, corrects misrouted
// ones with the simulator's topic (an agent's correction), resolves them,
// records satisfaction and trains the classifier. Sampling registers labs,
// draws a plan over the live listings and runs each sample to a lab result
// decided by the simulator's ground truth. Quality watches fresh produce
// and reports the fresh-produce campaign's before and after return rates.

func init() {
	demoSteps = append(demoSteps,
		demoStep{"care", careDemo},
		demoStep{"sampling", samplingDemo},
		demoStep{"quality", qualityDemo},
	)
}

// maxDemoTickets bounds the tickets the care step opens.
const maxDemoTickets = 600

// topicGroup maps a simulator complaint topic (sim.Topics) to its skill
// group: they correspond one to one.
func topicGroup(topic string) string {
	if topic == "escalation" {
		return anxin.GroupComplaints
	}
	return topic
}

func careDemo(ctx context.Context, env *demoEnv) error {
	t := time.Now()
	care, err := env.key(ctx, anxin.RoleCare)
	if err != nil {
		return err
	}
	var groups struct {
		Groups []anxin.SkillGroup `json:"groups"`
	}
	if err := env.get(ctx, care, "/v1/care/groups", &groups); err != nil {
		return err
	}
	for _, g := range groups.Groups {
		g.Agents = []string{"agent_" + g.ID + "_1", "agent_" + g.ID + "_2"}
		if err := env.do(ctx, "PUT", care, "/v1/care/groups/"+g.ID, careJSON(g), nil); err != nil {
			return err
		}
	}
	cs := env.World.Complaints
	if len(cs) > maxDemoTickets {
		cs = cs[len(cs)-maxDemoTickets:]
	}
	start := env.Clock.Now()
	type opened struct {
		id, truth, group string
	}
	var ts []opened
	for _, c := range cs {
		var tk anxin.Ticket
		err := env.post(ctx, env.Platform, "/v1/care/tickets", anxin.NewTicket{RequesterKind: anxin.RequesterBuyer, RequesterID: c.BuyerID,
			MerchantID: c.MerchantID, OrderID: c.OrderID, ListingID: c.ListingID, Body: c.Text}, &tk)
		if err != nil {
			return err
		}
		ts = append(ts, opened{tk.ID, topicGroup(c.Topic), tk.Group})
	}
	routed := 0
	for _, o := range ts {
		if o.group == o.truth {
			routed++
		}
	}
	// Three in four get a first answer within 20 minutes and get assigned;
	// the rest wait two hours, escalate at 48 minutes and breach at 60.
	env.Clock.Set(start.Add(20 * time.Minute))
	for i, o := range ts {
		if i%4 == 0 {
			continue
		}
		if err := env.post(ctx, care, "/v1/care/tickets/"+o.id+"/assign", map[string]string{"strategy": "round_robin"}, nil); err != nil {
			return err
		}
		if err := env.post(ctx, care, "/v1/care/tickets/"+o.id+"/replies", anxin.Reply{Body: "您好，已收到您的反馈，正在为您处理。"}, nil); err != nil {
			return err
		}
	}
	env.Clock.Set(start.Add(2 * time.Hour))
	if _, err := env.runJobs(ctx); err != nil {
		return err
	}
	// Agents move misrouted tickets to the right group: the labels the
	// classifier learns from.
	for _, o := range ts {
		if o.group != o.truth {
			if err := env.post(ctx, care, "/v1/care/tickets/"+o.id+"/transfer", map[string]string{"group": o.truth, "reason": "misrouted"}, nil); err != nil {
				return err
			}
		}
	}
	// Most are resolved within a day, one in seven only after four days (past
	// the 72-hour target, so the resolution clock breaches).
	resolve := func(late bool) error {
		for i, o := range ts {
			if (i%7 == 0) != late {
				continue
			}
			if err := env.post(ctx, care, "/v1/care/tickets/"+o.id+"/resolve", map[string]string{"resolution": "已为您处理完毕。"}, nil); err != nil {
				return err
			}
			if i%10 < 7 { // seven in ten answer the survey
				score := 5 - (i/3)%2
				if late || i%11 == 0 {
					score = 2
				}
				if err := env.post(ctx, env.Platform, "/v1/care/tickets/"+o.id+"/survey", map[string]int{"score": score}, nil); err != nil {
					return err
				}
			}
		}
		return nil
	}
	env.Clock.Set(start.Add(20 * time.Hour))
	if err := resolve(false); err != nil {
		return err
	}
	env.Clock.Set(start.Add(96 * time.Hour))
	if _, err := env.runJobs(ctx); err != nil {
		return err
	}
	if err := resolve(true); err != nil {
		return err
	}
	var st anxin.ClassifierStats
	if err := env.post(ctx, care, "/v1/care/classifier/train", nil, &st); err != nil {
		return err
	}
	var ev struct {
		Events []anxin.SLAEvent `json:"events"`
	}
	q := "/v1/care/sla-events?limit=500&from=" + start.Format(time.RFC3339) + "&to=" + env.Clock.Now().Add(time.Second).Format(time.RFC3339)
	if err := env.get(ctx, care, q, &ev); err != nil {
		return err
	}
	events := fmt.Sprint(len(ev.Events))
	if len(ev.Events) == 500 {
		events = "500+"
	}
	progress(env.Out, "care tickets", len(ts), "tickets", t)
	fmt.Fprintf(env.Out, "%-28s %d of %d routed right at intake; %s SLA escalations and breaches; retrained on %d labels, held-out accuracy %.1f %%\n",
		"", routed, len(ts), events, st.Train, st.Accuracy*100)
	return nil
}

// samplingDemoCategories are the categories the demo plan samples, with
// their risk tiers; safety marks the ones whose failures are safety issues.
var samplingDemoCategories = []struct {
	name   string
	tier   int
	safety bool
}{{"fresh", 3, true}, {"beauty", 3, true}, {"toys", 3, true}, {"electronics", 2, true}, {"apparel", 1, false}, {"home", 1, false}}

func samplingDemo(ctx context.Context, env *demoEnv) error {
	t := time.Now()
	quality, err := env.key(ctx, anxin.RoleQuality)
	if err != nil {
		return err
	}
	w := env.World
	tests := map[string]bool{"standard_panel": true}
	for _, lt := range w.Truth.Listings {
		if lt.Substandard != "" {
			tests[lt.Substandard] = true
		}
	}
	var testList, cats []string
	for k := range tests {
		testList = append(testList, k)
	}
	sort.Strings(testList)
	var quotas []anxin.CategoryQuota
	for _, c := range samplingDemoCategories {
		cats = append(cats, c.name)
		quotas = append(quotas, anxin.CategoryQuota{Category: c.name, Quota: 12, RiskTier: c.tier})
	}
	labs := []anxin.Lab{
		{ID: "lab_cti", Name: "华测检测 (demo)", Accreditations: []string{"CMA", "CNAS"}, Categories: cats, Tests: testList, Capacity: 8, PriceFen: 45000, Active: true},
		{ID: "lab_sgs", Name: "通标 SGS (demo)", Accreditations: []string{"CNAS"}, Categories: cats, Tests: testList, Capacity: 20, PriceFen: 60000, Active: true},
		{ID: "lab_fresh", Name: "农产品质检中心 (demo)", Accreditations: []string{"CMA"}, Categories: []string{"fresh"}, Tests: testList, Capacity: 10, PriceFen: 30000, Active: true},
	}
	for _, l := range labs {
		if err := env.do(ctx, "PUT", quality, "/v1/sampling/labs/"+l.ID, careJSON(l), nil); err != nil {
			return err
		}
	}
	now := env.Clock.Now()
	plan := anxin.SamplingPlan{Name: "Demo random sampling", BudgetFen: 20_000_000, From: now.Add(-24 * time.Hour), To: now.Add(90 * 24 * time.Hour),
		Quotas: quotas, RandomShareBP: 2500, Seed: w.Config.Seed}
	if err := env.post(ctx, quality, "/v1/sampling/plans", plan, &plan); err != nil {
		return err
	}
	var drawn anxin.DrawResult
	if err := env.post(ctx, quality, "/v1/sampling/plans/"+plan.ID+"/draw", nil, &drawn); err != nil {
		return err
	}
	var list struct {
		Samples []anxin.Sample `json:"samples"`
	}
	if err := env.get(ctx, quality, "/v1/sampling/plans/"+plan.ID+"/samples", &list); err != nil {
		return err
	}
	price := map[string]int64{}
	for _, l := range w.Listings {
		price[l.ID] = l.PriceFen
	}
	safety := map[string]bool{}
	for _, c := range samplingDemoCategories {
		safety[c.name] = c.safety
	}
	failed, retested := 0, false
	run := func(id, listing, category string) (bool, error) {
		steps := []struct {
			path string
			body any
		}{
			{"assign", nil},
			{"track", map[string]string{"status": "shipped", "tracking_no": "SF" + id[len(id)-8:]}},
			{"track", map[string]string{"status": "received"}},
		}
		for _, s := range steps {
			if err := env.post(ctx, quality, "/v1/sampling/samples/"+id+"/"+s.path, s.body, nil); err != nil {
				return false, err
			}
		}
		res := anxin.LabResult{ReportRef: "RPT-" + id[len(id)-10:], Results: []anxin.LabTest{{Test: "standard_panel", Pass: true}}}
		bad := w.Truth.Listings[listing].Substandard
		if bad != "" {
			res.Results = append(res.Results, anxin.LabTest{Test: bad, Pass: false, Safety: safety[category]})
		}
		return bad != "", env.post(ctx, quality, "/v1/sampling/samples/"+id+"/results", res, nil)
	}
	for i, x := range list.Samples {
		env.Clock.Set(now.Add(time.Duration(i) * time.Minute))
		err := env.post(ctx, quality, "/v1/sampling/samples/"+x.ID+"/purchase", map[string]any{"order_id": "mystery_" + x.ID, "purchase_fen": price[x.ListingID], "freight_fen": 1200}, nil)
		if err != nil {
			return err
		}
		fail, err := run(x.ID, x.ListingID, x.Category)
		if err != nil {
			return err
		}
		if !fail {
			continue
		}
		failed++
		if retested {
			continue
		}
		// The first merchant to fail asks for a retest at its own cost.
		retested = true
		mk, err := env.key(ctx, anxin.MerchantRole(x.MerchantID))
		if err != nil {
			return err
		}
		var rt anxin.Sample
		if err := env.post(ctx, mk, "/v1/sampling/samples/"+x.ID+"/retest", nil, &rt); err != nil {
			return err
		}
		if _, err := run(rt.ID, rt.ListingID, rt.Category); err != nil {
			return err
		}
	}
	progress(env.Out, "samples tested", len(list.Samples), "samples", t)
	fmt.Fprintf(env.Out, "%-28s %d failed and intercepted, across %d labs\n", "", failed, len(labs))
	return nil
}

func qualityDemo(ctx context.Context, env *demoEnv) error {
	t := time.Now()
	quality, err := env.key(ctx, anxin.RoleQuality)
	if err != nil {
		return err
	}
	w := env.World
	for _, m := range []anxin.QualityMonitor{
		{Scope: anxin.ScopeCategory, Key: "fresh", Metric: anxin.MetricReturnRate, Seasonal: true, Weeks: 2, MinOrders: 5},
		{Scope: anxin.ScopeCategory, Key: "fresh", Metric: anxin.MetricDamageRate, Seasonal: true, Weeks: 2, MinOrders: 5},
		{Scope: anxin.ScopeCategory, Key: "beauty", Metric: anxin.MetricComplaintRate, MinOrders: 5},
	} {
		if err := env.post(ctx, quality, "/v1/quality/monitors", m, nil); err != nil {
			return err
		}
	}
	alerts := 0
	for d := w.Period.From; d.Before(w.Period.To); d = d.Add(24 * time.Hour) {
		var res struct {
			Alerts []anxin.QualityAlert `json:"alerts"`
		}
		day := d.In(anxin.MarketplaceTZ).Format(time.DateOnly)
		if err := env.post(ctx, quality, "/v1/quality/evaluate", map[string]string{"day": day}, &res); err != nil {
			return err
		}
		alerts += len(res.Alerts)
	}
	c := anxin.Campaign{Name: "生鲜专项治理 (fresh produce)", Category: "fresh", From: w.Truth.FreshCampaignAt, To: w.Period.To,
		Rules: anxin.CampaignRules{MaxReturnRateBP: 2000, MinOrders: 10, SamplingTier: 3}}
	if err := env.post(ctx, quality, "/v1/quality/campaigns", c, &c); err != nil {
		return err
	}
	var enforced struct {
		N int `json:"merchants_actioned"`
	}
	if err := env.post(ctx, quality, "/v1/quality/campaigns/"+c.ID+"/enforce", nil, &enforced); err != nil {
		return err
	}
	if err := env.get(ctx, quality, "/v1/quality/campaigns/"+c.ID, &c); err != nil {
		return err
	}
	progress(env.Out, "quality days evaluated", int(w.Period.To.Sub(w.Period.From)/(24*time.Hour)), "days", t)
	fmt.Fprintf(env.Out, "%-28s %d alerts; fresh returns %.1f %% → %.1f %% under the campaign; %d merchants restricted\n",
		"", alerts, c.ReturnRateBefore*100, c.ReturnRateAfter*100, enforced.N)
	return nil
}

// careJSON encodes v as a request body for env.do.
func careJSON(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}
