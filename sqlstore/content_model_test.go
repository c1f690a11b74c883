package sqlstore_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/classify"
	"anxin/governance"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

func readLabels(t *testing.T, path string) []anxin.ContentExample {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ex, err := classify.ReadExamples(f)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func wantErr(t *testing.T, what string, err error, kind anxin.Kind, msg string) {
	t.Helper()
	if anxin.KindOf(err) != kind || !strings.Contains(anxin.MessageOf(err), msg) {
		t.Errorf("%s = %v; want %s containing %q", what, err, kind, msg)
	}
}

func checkText(t *testing.T, g *sqlstore.GovernanceService, id, text string) *anxin.Decision {
	t.Helper()
	ds, err := g.CheckContent(govPlatform, []*anxin.ContentItem{{ID: id, Kind: "comment", Text: text, AuthorID: "m1"}})
	if err != nil {
		t.Fatalf("CheckContent(%q): %v", text, err)
	}
	return ds[0]
}

func TestContentModelLifecycle(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		g := newGov(t, db)
		seed := readLabels(t, "../testdata/train/content.jsonl")

		// Bad input changes nothing; roles are checked.
		_, err := g.AddContentExamples(govReviewer, seed)
		wantErr(t, "AddContentExamples(reviewer)", err, anxin.Forbidden, "")
		bad := append([]anxin.ContentExample(nil), seed[:20]...)
		bad[7].Label = "spamm"
		_, err = g.AddContentExamples(govOperator, bad)
		wantErr(t, "AddContentExamples(unknown label)", err, anxin.Invalid, `example 8 ("`+bad[7].ID+`"): Unknown label "spamm"`)
		if c, _ := g.ContentExampleCounts(govOperator); len(c.Seed) != 0 {
			t.Fatalf("a rejected batch stored examples: %v", c.Seed)
		}
		_, err = g.TrainContentModel(govOperator, anxin.ContentTraining{Seed: 1})
		wantErr(t, "TrainContentModel(no examples)", err, anxin.Invalid, "Training needs at least 10 labelled examples; got 0.")

		if n, err := g.AddContentExamples(govOperator, seed); err != nil || n != len(seed) {
			t.Fatalf("AddContentExamples(seed) = %d, %v; want %d", n, err, len(seed))
		}
		_, err = g.TrainContentModel(govReviewer, anxin.ContentTraining{Seed: 1})
		wantErr(t, "TrainContentModel(reviewer)", err, anxin.Forbidden, "")

		// v1 is trained into shadow, measured on a stored holdout.
		hold := readLabels(t, "../testdata/train/holdout.jsonl")
		v1, err := g.TrainContentModel(govOperator, anxin.ContentTraining{Seed: 1, Threshold: 0.7, Holdout: "shipped", HoldoutExamples: hold})
		if err != nil {
			t.Fatal(err)
		}
		if v1.Version != 1 || v1.State != anxin.ModelShadow || v1.Metrics == nil || v1.Metrics.Examples != len(hold) || v1.Examples != len(seed) {
			t.Fatalf("TrainContentModel = %+v; want version 1 in shadow measured on %d holdout examples", v1, len(hold))
		}
		eng, err := g.Engine(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if a, s := eng.Models(); a != 0 || s != 1 {
			t.Fatalf("engine models = active %d, shadow %d; want 0, 1", a, s)
		}

		// In shadow the model changes no outcome; it records a flag.
		flagged := "喝了癌症 已治愈千人" // no lexicon term: only the model knows it
		if d := checkText(t, g, "c1", flagged); d.Outcome != anxin.OutcomeAllow {
			t.Fatalf("shadow check(%q) = %s; want allow", flagged, d.Outcome)
		}
		ms, err := g.ContentModels(govReviewer)
		if err != nil || len(ms) != 1 || ms[0].ShadowFlags != 1 {
			t.Fatalf("ContentModels = %+v, %v; want v1 with 1 shadow flag", ms, err)
		}

		// Promotion needs a holdout and the operator.
		inline := seed[:120]
		_, err = g.PromoteContentModel(govOperator, 1, anxin.ContentPromotion{})
		wantErr(t, "PromoteContentModel(no holdout)", err, anxin.Invalid, "Give a holdout")
		_, err = g.PromoteContentModel(govReviewer, 1, anxin.ContentPromotion{Examples: inline})
		wantErr(t, "PromoteContentModel(reviewer)", err, anxin.Forbidden, "")
		_, err = g.PromoteContentModel(govOperator, 9, anxin.ContentPromotion{Examples: inline})
		wantErr(t, "PromoteContentModel(9)", err, anxin.NotFound, "Content model version 9 not found.")
		_, err = g.PromoteContentModel(govOperator, 1, anxin.ContentPromotion{Holdout: "nope"})
		wantErr(t, "PromoteContentModel(unknown holdout)", err, anxin.Invalid, `No holdout is stored under the name "nope".`)
		res, err := g.PromoteContentModel(govOperator, 1, anxin.ContentPromotion{Examples: inline})
		if err != nil {
			t.Fatal(err)
		}
		if res.Model.State != anxin.ModelActive || res.Active != nil || res.Candidate.F1 <= 0 {
			t.Fatalf("PromoteContentModel(1) = %+v; want active with no predecessor", res)
		}

		// Active: what the rules allow and the model flags goes to review,
		// with the model's features as evidence.
		d := checkText(t, g, "c2", flagged)
		if d.Outcome != anxin.OutcomeReview || d.CaseID == "" {
			t.Fatalf("active check(%q) = %s; want review", flagged, d.Outcome)
		}
		var cited bool
		for _, e := range d.Evidence {
			cited = cited || (e.Kind == "model" && e.Ref == "content_model:v1" && e.Quote != "" && strings.Contains(flagged, e.Quote))
		}
		if !cited || !containsRule(d, governance.ModelRuleID) {
			t.Errorf("decision %+v: want rule %s and model evidence quoting the text", d, governance.ModelRuleID)
		}
		if d := checkText(t, g, "c3", "快递很快，包装也很仔细，好评"); d.Outcome != anxin.OutcomeAllow {
			t.Errorf("active check(clean) = %s; want allow", d.Outcome)
		}

		// Reviewers' decisions become labelled examples.
		if _, err := g.DecideCase(govReviewer, d.CaseID, anxin.ResUphold, ""); err != nil {
			t.Fatal(err)
		}
		d2 := checkText(t, g, "c4", "dm me on whatsapp for discount")
		if d2.CaseID != "" {
			if _, err := g.DecideCase(govReviewer, d2.CaseID, anxin.ResOverturn, "a greeting"); err != nil {
				t.Fatal(err)
			}
		}
		c, err := g.ContentExampleCounts(govOperator)
		if err != nil {
			t.Fatal(err)
		}
		if c.Review["false_medical_claim"] != 1 || c.Holdout["shipped"] != len(hold) || (d2.CaseID != "" && c.Review["clean"] != 1) {
			t.Errorf("ContentExampleCounts = %+v; want the upheld case as false_medical_claim, the overturned one as clean, the holdout", c)
		}

		// v2 from the same data and seed is no better: refused with 409, and
		// nothing changes.
		v2, err := g.TrainContentModel(govOperator, anxin.ContentTraining{Seed: 1, Threshold: 0.7})
		if err != nil {
			t.Fatal(err)
		}
		if v2.Reviewed != 2 && v2.Reviewed != 1 {
			t.Errorf("v2 learnt from %d reviewed examples; want the decided cases", v2.Reviewed)
		}
		_, err = g.PromoteContentModel(govOperator, v2.Version, anxin.ContentPromotion{Examples: inline})
		wantErr(t, "PromoteContentModel(not better)", err, anxin.Conflict, "does not beat active version 1")
		_, err = g.PromoteContentModel(govOperator, 1, anxin.ContentPromotion{Examples: inline})
		wantErr(t, "PromoteContentModel(active)", err, anxin.Conflict, "Version 1 is active; only a version in shadow can be promoted.")
		if eng, _ := g.Engine(context.Background()); eng != nil {
			if a, s := eng.Models(); a != 1 || s != v2.Version {
				t.Errorf("after a refused promotion: active %d, shadow %d; want 1, %d", a, s, v2.Version)
			}
		}

		// v3 with a lower threshold finds some of the stored holdout, whose
		// wording the seed set lacks: it beats v1, which is retired; v2, an
		// older shadow, was retired by v3.
		v3, err := g.TrainContentModel(govOperator, anxin.ContentTraining{Seed: 1, Threshold: 0.15})
		if err != nil {
			t.Fatal(err)
		}
		res, err = g.PromoteContentModel(govOperator, v3.Version, anxin.ContentPromotion{Holdout: "shipped"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Retired != 1 || res.Active == nil || !res.Candidate.Beats(*res.Active) {
			t.Errorf("PromoteContentModel(v3) = %+v; want v1 retired, beaten", res)
		}
		ms, _ = g.ContentModels(govOperator)
		states := map[int]string{}
		for _, m := range ms {
			states[m.Version] = m.State
		}
		if states[1] != anxin.ModelRetired || states[2] != anxin.ModelRetired || states[3] != anxin.ModelActive {
			t.Errorf("states = %v; want 1 and 2 retired, 3 active", states)
		}
	})
}

func containsRule(d *anxin.Decision, id string) bool {
	for _, r := range d.Rules {
		if r.RuleID == id {
			return true
		}
	}
	return false
}

// TestContentModelDamagedInStore: a model whose stored bytes were damaged
// is refused with the codec's error by a replica that has not read it yet.
func TestContentModelDamagedInStore(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		g := newGov(t, db)
		if _, err := g.AddContentExamples(govOperator, readLabels(t, "../testdata/train/content.jsonl")); err != nil {
			t.Fatal(err)
		}
		if _, err := g.TrainContentModel(govOperator, anxin.ContentTraining{Seed: 1}); err != nil {
			t.Fatal(err)
		}
		var data []byte
		if err := db.QueryRowContext(context.Background(), `SELECT data FROM content_models WHERE version = 1`).Scan(&data); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(context.Background(), `UPDATE content_models SET data = ? WHERE version = 1`, data[:len(data)/2]); err != nil {
			t.Fatal(err)
		}
		_, err := sqlstore.NewGovernanceService(db).Engine(context.Background())
		wantErr(t, "Engine(damaged model)", err, anxin.Invalid, "truncated or corrupted")
	})
}
