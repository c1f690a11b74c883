package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"anxin"
	"anxin/sim"
)

func init() { demoSteps = append(demoSteps, demoStep{"governance", governanceDemo}) }

// demoCheckBatch is how many items the governance demo sends per check
// request (the API takes up to 1,000).
const demoCheckBatch = 500

// demoDecision is the part of a check answer the demo reads.
type demoDecision struct {
	ID          string   `json:"id"`
	Outcome     string   `json:"outcome"`
	ReasonCode  string   `json:"reason_code"`
	StatementID string   `json:"statement_id"`
	CaseID      string   `json:"case_id"`
	Rules       []any    `json:"rules"`
	Labels      []string `json:"labels"`
}

// quality counts flags against ground truth. A flag is a decision in which a
// rule fired (review or block); a publish blocked only because the merchant
// is already restricted is not a detection.
type quality struct{ tp, fp, fn, tn int }

func (q *quality) add(flagged, positive bool) {
	switch {
	case flagged && positive:
		q.tp++
	case flagged:
		q.fp++
	case positive:
		q.fn++
	default:
		q.tn++
	}
}

func (q quality) String() string {
	p := float64(q.tp) / float64(max(1, q.tp+q.fp))
	r := float64(q.tp) / float64(max(1, q.tp+q.fn))
	return fmt.Sprintf("precision %.3f recall %.3f (caught %d, missed %d, false flags %d, clean passed %d)", p, r, q.tp, q.fn, q.fp, q.tn)
}

// governanceDemo checks every listing and content item of the World through
// the API as the marketplace would at publish time, compares the decisions
// with ground truth, lets a reviewer work the queue (deciding as the truth
// says) and a few merchants appeal their blocks.
func governanceDemo(ctx context.Context, env *demoEnv) error {
	w := env.World
	t := time.Now()
	var ls []*anxin.ListingCheck
	for _, l := range w.Listings {
		ls = append(ls, &anxin.ListingCheck{ID: l.ID, Title: l.Title, Description: l.Description, Category: l.Category,
			Brand: l.Brand, PriceFen: l.PriceFen, MerchantID: l.MerchantID})
	}
	listings, err := demoCheck(ctx, env, "/v1/listings:check", ls)
	if err != nil {
		return err
	}
	var lq, silent quality
	blocked := map[string]demoDecision{}
	for _, d := range listings {
		tr := w.Truth.Listings[d.ID]
		flagged := len(d.Rules) > 0 && d.Outcome != "allow"
		if tr.Violation != "" && tr.Term == "" {
			silent.add(flagged, true) // a silent copy: only brand, price and images tell
			continue
		}
		lq.add(flagged, tr.Violation != "")
		if d.Outcome == "block" && d.StatementID != "" && d.ReasonCode == anxin.ReasonPolicyViolation {
			blocked[d.ID] = d
		}
	}
	progress(env.Out, "listings checked", len(listings), "checks", t)
	fmt.Fprintf(env.Out, "  listings with coded language: %s\n", lq)
	if silent.tp+silent.fn > 0 {
		fmt.Fprintf(env.Out, "  silent copies (no wording to find): %d of %d flagged\n", silent.tp, silent.tp+silent.fn)
	}

	t = time.Now()
	content := slices.Clone(w.Content)
	// Segments go out in stream order, as a live stream produces them.
	slices.SortStableFunc(content, func(a, b *anxin.ContentItem) int {
		if c := strings.Compare(a.StreamID, b.StreamID); c != 0 {
			return c
		}
		return int(a.Seq - b.Seq)
	})
	cds, err := demoCheck(ctx, env, "/v1/content:check", content)
	if err != nil {
		return err
	}
	var cq quality
	for _, d := range cds {
		tr := w.Truth.Content[d.ID]
		flagged := len(d.Rules) > 0 && d.Outcome != "allow"
		if tr.Violation != "" && (tr.Term == "" || tr.Split && !flagged) {
			continue // a split term is caught by the segment that completes it
		}
		cq.add(flagged, tr.Violation != "")
	}
	progress(env.Out, "content checked", len(cds), "checks", t)
	fmt.Fprintf(env.Out, "  content: %s\n", cq)

	// A reviewer works the queue, deciding as the ground truth says.
	t = time.Now()
	reviewer, err := env.key(ctx, anxin.RoleReviewer)
	if err != nil {
		return err
	}
	decided := 0
	for {
		var q struct {
			Cases []struct {
				ID          string `json:"id"`
				SubjectType string `json:"subject_type"`
				SubjectID   string `json:"subject_id"`
			} `json:"cases"`
		}
		if err := env.get(ctx, reviewer, "/v1/cases?status=open&limit=200", &q); err != nil {
			return err
		}
		if len(q.Cases) == 0 {
			break
		}
		var uphold, overturn []string
		for _, c := range q.Cases {
			v := w.Truth.Listings[c.SubjectID].Violation
			if c.SubjectType == "content" {
				v = w.Truth.Content[c.SubjectID].Violation
			}
			if v != "" {
				uphold = append(uphold, c.ID)
			} else {
				overturn = append(overturn, c.ID)
			}
		}
		for _, b := range []struct {
			action string
			ids    []string
		}{{anxin.ResUphold, uphold}, {anxin.ResOverturn, overturn}} {
			if len(b.ids) == 0 {
				continue
			}
			if err := env.post(ctx, reviewer, "/v1/cases:bulk", map[string]any{"ids": b.ids, "action": b.action, "note": "demo review"}, nil); err != nil {
				return err
			}
			decided += len(b.ids)
		}
	}
	progress(env.Out, "review cases decided", decided, "cases", t)

	// Some merchants appeal blocks; a reviewer overturns those the truth
	// calls clean and upholds the rest.
	t = time.Now()
	ids := make([]string, 0, len(blocked))
	for id := range blocked {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	appeals := 0
	for _, id := range ids[:min(len(ids), 10)] {
		d := blocked[id]
		merchant := listingMerchant(w, id)
		k, err := env.key(ctx, anxin.MerchantRole(merchant))
		if err != nil {
			return err
		}
		var a struct {
			ID string `json:"id"`
		}
		if err := env.post(ctx, k, "/v1/statements/"+d.StatementID+"/appeals", map[string]string{"text": "This listing describes a genuine product."}, &a); err != nil {
			if anxin.KindOf(err) == anxin.Conflict {
				continue
			}
			return err
		}
		res := anxin.ResUphold
		if w.Truth.Listings[id].Violation == "" {
			res = anxin.ResOverturn
		}
		if err := env.post(ctx, reviewer, "/v1/appeals/"+a.ID+"/decide", map[string]string{"resolution": res, "note": "demo appeal review"}, nil); err != nil {
			return err
		}
		appeals++
	}
	progress(env.Out, "appeals decided", appeals, "appeals", t)
	_, err = env.runJobs(ctx)
	return err
}

// demoCheck sends items to a check endpoint in batches and returns the
// decisions in order.
func demoCheck[T any](ctx context.Context, env *demoEnv, path string, items []T) ([]demoDecision, error) {
	var out []demoDecision
	for k := 0; k < len(items); k += demoCheckBatch {
		var res struct {
			Items []demoDecision `json:"items"`
		}
		if err := env.post(ctx, env.Platform, path, map[string]any{"items": items[k:min(k+demoCheckBatch, len(items))]}, &res); err != nil {
			return nil, err
		}
		out = append(out, res.Items...)
	}
	return out, nil
}

func listingMerchant(w *sim.World, id string) string {
	for _, l := range w.Listings {
		if l.ID == id {
			return l.MerchantID
		}
	}
	return ""
}
