package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	"anxin"
	"anxin/sim"
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
		demoStep{"care", careDemo, careAfter},
		demoStep{"sampling", samplingDemo, samplingAfter},
		demoStep{"quality", qualityDemo, qualityAfter},
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

// careRun is what the care step records for its summary.
type careRun struct {
	key                    string
	opened, routed, solved int
	answers                []time.Duration
	train                  anxin.ClassifierStats
}

// careDemo sets the groups' agents at the period's start and queues each
// complaint as a ticket at its simulated time. Agents answer with the
// delays of a working contact centre: most within minutes, some after the
// one-hour target, the office-hours groups on their calendar; they move
// misrouted tickets to the right group with the answer, resolve most within
// a day and one in seven only after three days, and buyers answer the
// survey some hours later. The classifier retrains every Sunday night and
// on the last evening.
func careDemo(ctx context.Context, env *demoEnv) error {
	care, err := env.key(ctx, anxin.RoleCare)
	if err != nil {
		return err
	}
	run := &careRun{key: care}
	env.careRun = run
	p := env.World.Period
	office := map[string]bool{}
	env.at(p.From, func(ctx context.Context) error {
		var groups struct {
			Groups []anxin.SkillGroup `json:"groups"`
		}
		if err := env.get(ctx, care, "/v1/care/groups", &groups); err != nil {
			return err
		}
		for _, g := range groups.Groups {
			office[g.ID] = g.CalendarID == "business"
			g.Agents = []string{"agent_" + g.ID + "_1", "agent_" + g.ID + "_2"}
			if err := env.do(ctx, "PUT", care, "/v1/care/groups/"+g.ID, careJSON(g), nil); err != nil {
				return err
			}
		}
		return nil
	})
	orders := map[string]*anxin.Order{}
	for _, o := range env.World.Orders {
		orders[o.ID] = o
	}
	cs := spread(env.World.Complaints, maxDemoTickets)
	r := env.rand("care")
	for i, c := range cs {
		at := c.At
		if o := orders[c.OrderID]; o != nil && at.Before(env.settled(o.CreatedAt)) {
			at = env.settled(o.CreatedAt)
		}
		// The agents' timing, drawn now so the World's seed decides it.
		var wait time.Duration
		switch x := r.Float64(); {
		case x < 0.70:
			wait = between(r, 2*time.Minute, 40*time.Minute)
		case x < 0.90:
			wait = between(r, 40*time.Minute, 100*time.Minute) // some past the one-hour target
		default:
			wait = between(r, 2*time.Hour, 7*time.Hour)
		}
		late := i%7 == 0
		work := between(r, 30*time.Minute, 20*time.Hour)
		if late {
			work = between(r, 74*time.Hour, 110*time.Hour) // past the 72-hour target
		}
		surveyAfter := between(r, 10*time.Minute, 8*time.Hour)
		truth := topicGroup(c.Topic)
		env.at(at, func(ctx context.Context) error {
			var tk anxin.Ticket
			err := env.post(ctx, env.Platform, "/v1/care/tickets", anxin.NewTicket{RequesterKind: anxin.RequesterBuyer, RequesterID: c.BuyerID,
				MerchantID: c.MerchantID, OrderID: c.OrderID, ListingID: c.ListingID, Body: c.Text}, &tk)
			if err != nil {
				return err
			}
			run.opened++
			if tk.Group == truth {
				run.routed++
			}
			created := env.Clock.Now()
			answer := created.Add(wait)
			if office[tk.Group] {
				answer = officeAfter(created, wait)
			}
			env.at(answer, func(ctx context.Context) error {
				if tk.Group != truth { // the agent moves a misrouted ticket: the label the classifier learns from
					if err := env.post(ctx, care, "/v1/care/tickets/"+tk.ID+"/transfer", map[string]string{"group": truth, "reason": "misrouted"}, nil); err != nil {
						return err
					}
				}
				if err := env.post(ctx, care, "/v1/care/tickets/"+tk.ID+"/assign", map[string]string{"strategy": "round_robin"}, nil); err != nil {
					return err
				}
				if err := env.post(ctx, care, "/v1/care/tickets/"+tk.ID+"/replies", anxin.Reply{Body: "您好，已收到您的反馈，正在为您处理。"}, nil); err != nil {
					return err
				}
				answered := env.Clock.Now()
				run.answers = append(run.answers, answered.Sub(created))
				done := answered.Add(work)
				if office[truth] {
					done = officeAfter(answered, work)
				}
				env.at(done, func(ctx context.Context) error {
					if err := env.post(ctx, care, "/v1/care/tickets/"+tk.ID+"/resolve", map[string]string{"resolution": "已为您处理完毕。"}, nil); err != nil {
						return err
					}
					run.solved++
					if i%10 >= 7 { // seven in ten answer the survey
						return nil
					}
					score := 5 - (i/3)%2
					if late || i%11 == 0 {
						score = 2
					}
					env.at(env.Clock.Now().Add(surveyAfter), func(ctx context.Context) error {
						return env.post(ctx, env.Platform, "/v1/care/tickets/"+tk.ID+"/survey", map[string]int{"score": score}, nil)
					})
					return nil
				})
				return nil
			})
			return nil
		})
	}
	train := func(ctx context.Context) error {
		return env.post(ctx, care, "/v1/care/classifier/train", nil, &run.train)
	}
	for _, d := range env.days() {
		if d.In(anxin.MarketplaceTZ).Weekday() == time.Sunday {
			env.at(d.Add(23*time.Hour), train)
		}
	}
	env.at(p.To.Add(-90*time.Minute), train)
	return nil
}

func careAfter(ctx context.Context, env *demoEnv) error {
	run := env.careRun
	var ev struct {
		Events []anxin.SLAEvent `json:"events"`
	}
	p := env.World.Period
	q := "/v1/care/sla-events?limit=500&from=" + p.From.Format(time.RFC3339) + "&to=" + p.To.Format(time.RFC3339)
	if err := env.get(ctx, run.key, q, &ev); err != nil {
		return err
	}
	events := fmt.Sprint(len(ev.Events))
	if len(ev.Events) == 500 {
		events = "500+"
	}
	slices.Sort(run.answers)
	var median time.Duration
	if len(run.answers) > 0 {
		median = run.answers[(len(run.answers)-1)/2]
	}
	fmt.Fprintf(env.Out, "%-28s %10d opened through the period, %d answered (median after %s), %d resolved\n",
		"care tickets", run.opened, len(run.answers), median.Round(time.Minute), run.solved)
	fmt.Fprintf(env.Out, "%-28s %d of %d routed right at intake; %s SLA escalations and breaches; retrained on %d labels, held-out accuracy %.1f %%\n",
		"", run.routed, run.opened, events, run.train.Train, run.train.Accuracy*100)
	return nil
}

// samplingDemoCategories are the categories the demo plan samples, with
// their risk tiers; safety marks the ones whose failures are safety issues.
var samplingDemoCategories = []struct {
	name   string
	tier   int
	safety bool
}{{"fresh", 3, true}, {"beauty", 3, true}, {"toys", 3, true}, {"electronics", 2, true}, {"apparel", 1, false}, {"home", 1, false}}

// samplingRun is what the sampling step records for its summary.
type samplingRun struct {
	plans, drawn, tested, failed int
	labs                         int
}

// samplingDemo registers the labs on the first morning and draws a plan
// every month of the period (each 30 days from its start). Each sample is
// bought within a working day, ships the next day or two, reaches the lab a
// day or two later and has its result after the lab's turnaround of three
// to seven days, decided by the simulator's ground truth. The first merchant
// to fail asks for a retest at its own cost the day after.
func samplingDemo(ctx context.Context, env *demoEnv) error {
	quality, err := env.key(ctx, anxin.RoleQuality)
	if err != nil {
		return err
	}
	w := env.World
	run := &samplingRun{}
	env.samplingRun = run
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
		{ID: "lab_cti", Name: "华测检测 (demo)", Accreditations: []string{"CMA", "CNAS"}, Categories: cats, Tests: testList, Capacity: 30, PriceFen: 45000, Active: true},
		{ID: "lab_sgs", Name: "通标 SGS (demo)", Accreditations: []string{"CNAS"}, Categories: cats, Tests: testList, Capacity: 40, PriceFen: 60000, Active: true},
		{ID: "lab_fresh", Name: "农产品质检中心 (demo)", Accreditations: []string{"CMA"}, Categories: []string{"fresh"}, Tests: testList, Capacity: 20, PriceFen: 30000, Active: true},
	}
	run.labs = len(labs)
	price := map[string]int64{}
	for _, l := range w.Listings {
		price[l.ID] = l.PriceFen
	}
	safety := map[string]bool{}
	for _, c := range samplingDemoCategories {
		safety[c.name] = c.safety
	}
	r := env.rand("sampling")
	retested := false
	post := func(id, path string, body any) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			return env.post(ctx, quality, "/v1/sampling/samples/"+id+"/"+path, body, nil)
		}
	}
	// test queues a sample's way through the lab from t; its purchase is
	// queued by the caller.
	var test func(t time.Time, x anxin.Sample)
	test = func(t time.Time, x anxin.Sample) {
		t = t.Add(between(r, 10*time.Minute, 2*time.Hour))
		var assign func(ctx context.Context) error
		assign = func(ctx context.Context) error {
			err := env.post(ctx, quality, "/v1/sampling/samples/"+x.ID+"/assign", nil, nil)
			if anxin.KindOf(err) == anxin.Conflict { // every lab is full: try again the next working day
				env.at(officeAfter(env.Clock.Now(), 8*time.Hour), assign)
				return nil
			}
			return err
		}
		env.at(t, assign)
		t = officeAfter(t, between(r, 4*time.Hour, 14*time.Hour))
		env.at(t, post(x.ID, "track", map[string]string{"status": "shipped", "tracking_no": "SF" + x.ID[len(x.ID)-8:]}))
		t = t.Add(between(r, 20*time.Hour, 60*time.Hour))
		env.at(t, post(x.ID, "track", map[string]string{"status": "received"}))
		t = officeAfter(t, between(r, 3*8*time.Hour, 7*8*time.Hour)) // the lab's turnaround: three to seven working days
		bad := w.Truth.Listings[x.ListingID].Substandard
		env.at(t, func(ctx context.Context) error {
			res := anxin.LabResult{ReportRef: "RPT-" + x.ID[len(x.ID)-10:], Results: []anxin.LabTest{{Test: "standard_panel", Pass: true}}}
			if bad != "" {
				res.Results = append(res.Results, anxin.LabTest{Test: bad, Pass: false, Safety: safety[x.Category]})
			}
			if err := env.post(ctx, quality, "/v1/sampling/samples/"+x.ID+"/results", res, nil); err != nil {
				return err
			}
			run.tested++
			if bad == "" {
				return nil
			}
			run.failed++
			if retested || x.RetestOf != "" {
				return nil
			}
			retested = true
			env.at(officeAfter(env.Clock.Now(), between(r, 2*time.Hour, 8*time.Hour)), func(ctx context.Context) error {
				mk, err := env.key(ctx, anxin.MerchantRole(x.MerchantID))
				if err != nil {
					return err
				}
				var rt anxin.Sample
				if err := env.post(ctx, mk, "/v1/sampling/samples/"+x.ID+"/retest", nil, &rt); err != nil {
					return err
				}
				test(env.Clock.Now(), rt)
				return nil
			})
			return nil
		})
	}
	p := w.Period
	for m, month := p.From, 1; m.Before(p.To); m, month = m.AddDate(0, 0, 30), month+1 {
		end := m.AddDate(0, 0, 30)
		if end.After(p.To) {
			end = p.To
		}
		env.at(m.Add(10*time.Hour), func(ctx context.Context) error {
			if month == 1 {
				for _, l := range labs {
					if err := env.do(ctx, "PUT", quality, "/v1/sampling/labs/"+l.ID, careJSON(l), nil); err != nil {
						return err
					}
				}
			}
			plan := anxin.SamplingPlan{Name: fmt.Sprintf("Random sampling, month %d", month), BudgetFen: 20_000_000, From: m, To: end,
				Quotas: quotas, RandomShareBP: 2500, Seed: w.Config.Seed + int64(month)}
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
			run.plans++
			run.drawn += len(list.Samples)
			for _, x := range list.Samples {
				bought := officeAfter(env.Clock.Now(), between(r, 30*time.Minute, 8*time.Hour))
				env.at(bought, func(ctx context.Context) error {
					err := env.post(ctx, quality, "/v1/sampling/samples/"+x.ID+"/purchase", map[string]any{"order_id": "mystery_" + x.ID, "purchase_fen": price[x.ListingID], "freight_fen": 1200}, nil)
					if err != nil {
						return err
					}
					test(env.Clock.Now(), x)
					return nil
				})
			}
			return nil
		})
	}
	return nil
}

func samplingAfter(ctx context.Context, env *demoEnv) error {
	run := env.samplingRun
	fmt.Fprintf(env.Out, "%-28s %10d drawn in %d monthly plans; %d tested in the period, %d failed and intercepted, across %d labs\n",
		"samples", run.drawn, run.plans, run.tested, run.failed, run.labs)
	return nil
}

// qualityRun is what the quality step records for its summary.
type qualityRun struct {
	key      string
	days     int
	campaign string
	enforced int
	history  int // prior days imported, over all series
}

// qualityDemo sets up the monitors on the first morning and evaluates each
// day two days and half an hour after it ends, when most of its returns are
// in (the last days in the period's final minutes). The
// fresh-produce campaign starts when the simulator's merchants improve
// their packing, halfway through the period, so its before window is the
// first half and its after window the second; it enforces on the last
// morning.
func qualityDemo(ctx context.Context, env *demoEnv) error {
	quality, err := env.key(ctx, anxin.RoleQuality)
	if err != nil {
		return err
	}
	w := env.World
	run := &qualityRun{key: quality}
	env.qualityRun = run
	env.at(w.Period.From.Add(5*time.Minute), func(ctx context.Context) error {
		// Last year's fresh-produce record, so the fresh monitors compare
		// each day with the same weekday a year before.
		for _, h := range sim.PriorHistory(w) {
			if err := env.post(ctx, quality, "/v1/quality/history", h, nil); err != nil {
				return err
			}
			run.history += len(h.Days)
		}
		for _, m := range []anxin.QualityMonitor{
			{Scope: anxin.ScopeCategory, Key: "fresh", Metric: anxin.MetricReturnRate, Seasonal: true, Weeks: 2, MinOrders: 5},
			{Scope: anxin.ScopeCategory, Key: "fresh", Metric: anxin.MetricDamageRate, Seasonal: true, Weeks: 2, MinOrders: 5},
			{Scope: anxin.ScopeCategory, Key: "beauty", Metric: anxin.MetricComplaintRate, MinOrders: 5},
		} {
			if err := env.post(ctx, quality, "/v1/quality/monitors", m, nil); err != nil {
				return err
			}
		}
		return nil
	})
	for _, d := range env.days() {
		// A day's deliveries are judged once their returns have had two
		// days to come in (the last days of the period in its final
		// minutes, less mature).
		at := d.Add(3*24*time.Hour + 30*time.Minute)
		if !at.Before(w.Period.To) {
			at = w.Period.To.Add(-10 * time.Minute)
		}
		day := d.In(anxin.MarketplaceTZ).Format(time.DateOnly)
		env.at(at, func(ctx context.Context) error {
			if err := env.post(ctx, quality, "/v1/quality/evaluate", map[string]string{"day": day}, nil); err != nil {
				return err
			}
			run.days++
			return nil
		})
	}
	env.at(w.Truth.FreshCampaignAt, func(ctx context.Context) error {
		c := anxin.Campaign{Name: "生鲜专项治理 (fresh produce)", Category: "fresh", From: w.Truth.FreshCampaignAt, To: w.Period.To,
			Rules: anxin.CampaignRules{MaxReturnRateBP: 2000, MinOrders: 10, SamplingTier: 3}}
		if err := env.post(ctx, quality, "/v1/quality/campaigns", c, &c); err != nil {
			return err
		}
		run.campaign = c.ID
		return nil
	})
	lastMorning := w.Period.To.Add(-14 * time.Hour) // 10:00 on the last day
	env.at(lastMorning, func(ctx context.Context) error {
		if run.campaign == "" {
			return nil
		}
		var enforced struct {
			N int `json:"merchants_actioned"`
		}
		if err := env.post(ctx, quality, "/v1/quality/campaigns/"+run.campaign+"/enforce", nil, &enforced); err != nil {
			return err
		}
		run.enforced = enforced.N
		return nil
	})
	return nil
}

func qualityAfter(ctx context.Context, env *demoEnv) error {
	run := env.qualityRun
	// The alerts of the demo's evaluations and of the server's daily job
	// (a day is alerted once per monitor).
	var as struct {
		Alerts []anxin.QualityAlert `json:"alerts"`
	}
	if err := env.get(ctx, run.key, "/v1/quality/alerts?limit=500", &as); err != nil {
		return err
	}
	failure := map[string]bool{} // the cold-chain failure's days that alerted
	for _, a := range as.Alerts {
		d, err := time.ParseInLocation(time.DateOnly, a.Day, anxin.MarketplaceTZ)
		if err == nil && env.World.Truth.ColdChainFailure.Contains(d) {
			failure[a.Day] = true
		}
	}
	fmt.Fprintf(env.Out, "%-28s %10d days evaluated, %d alerts; alerts on %d of the 2 cold-chain failure days\n", "quality watch", run.days, len(as.Alerts), len(failure))
	var ms struct {
		Monitors []anxin.QualityMonitor `json:"monitors"`
	}
	if err := env.get(ctx, run.key, "/v1/quality/monitors", &ms); err != nil {
		return err
	}
	for _, m := range ms.Monitors {
		var s anxin.QualitySeries
		if err := env.get(ctx, run.key, "/v1/quality/monitors/"+m.ID+"/series?days=1", &s); err != nil {
			return err
		}
		fmt.Fprintf(env.Out, "%-28s %s %s against %s\n", "", m.Key, m.Metric, s.BaselineLabel)
	}
	if run.history > 0 {
		fmt.Fprintf(env.Out, "%-28s %d days of last year's fresh-produce record imported first\n", "", run.history)
	}
	if run.campaign == "" {
		return nil
	}
	var c anxin.Campaign
	if err := env.get(ctx, run.key, "/v1/quality/campaigns/"+run.campaign, &c); err != nil {
		return err
	}
	fmt.Fprintf(env.Out, "%-28s fresh returns %.1f %% before → %.1f %% under the campaign; %d merchants restricted\n",
		"", c.ReturnRateBefore*100, c.ReturnRateAfter*100, run.enforced)
	return nil
}

// spread returns at most n of xs, evenly spaced through them, in their
// order. The world's complaints run in time order, so a larger marketplace's
// tickets still arrive through the whole period rather than in its last days.
func spread[T any](xs []T, n int) []T {
	if len(xs) <= n {
		return xs
	}
	out := make([]T, n)
	for i := range out {
		out[i] = xs[i*len(xs)/n]
	}
	return out
}

// careJSON encodes v as a request body for env.do.
func careJSON(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}
