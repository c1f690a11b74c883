package governance

import (
	"os"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/classify"
	"anxin/rules"
)

func seedModel(tb testing.TB) *classify.Model {
	tb.Helper()
	f, err := os.Open("../testdata/train/content.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	ex, err := classify.ReadExamples(f)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := classify.Train(ex, classify.Options{Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestEngineWithModel(t *testing.T) {
	p, err := DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	base, err := p.Engine()
	if err != nil {
		t.Fatal(err)
	}
	m := seedModel(t)
	active := base.WithModel(ContentModel{Classifier: m, Version: 3})
	shadow := base.WithModel(ContentModel{Classifier: m, Version: 4, Shadow: true})
	if a, s := base.Models(); a != 0 || s != 0 {
		t.Fatalf("WithModel changed the original engine: Models() = %d, %d", a, s)
	}
	both := active.WithModel(ContentModel{Classifier: m, Version: 4, Shadow: true})
	if a, s := both.Models(); a != 3 || s != 4 {
		t.Fatalf("Models() = %d, %d; want 3, 4", a, s)
	}

	// Texts the model flags and the lexicons and rules let through.
	var routed []string
	missed := 0
	for _, text := range []string{"私房视频 福利资源 加群看", "dm me on whatsapp for discount", "出售公民信息 手机号 身份证 打包",
		"气动狗 铅弹 远射程", "喝了能治癌症 已治愈千人", "收购银行卡 四件套 高价"} {
		c := &anxin.ContentItem{ID: "c1", Kind: "comment", Text: text}
		if base.CheckContent(c, nil, rules.Merchant{}, nil).Result.Outcome != anxin.OutcomeAllow {
			continue
		}
		missed++
		o := active.CheckContent(c, nil, rules.Merchant{}, nil)
		if o.Model == nil || o.Model.Label == classify.Clean {
			continue
		}
		routed = append(routed, text)
		if o.Result.Outcome != anxin.OutcomeReview || !o.Model.Routed {
			t.Errorf("active CheckContent(%q) = %s (routed %v); want review", text, o.Result.Outcome, o.Model.Routed)
		}
		if len(o.Result.Fired) == 0 || o.Result.Fired[len(o.Result.Fired)-1].RuleID != ModelRuleID {
			t.Errorf("active CheckContent(%q).Fired = %v; want %s", text, o.Result.Fired, ModelRuleID)
		}
		var ev []anxin.Evidence
		for _, e := range o.Evidence {
			if e.Kind == "model" {
				ev = append(ev, e)
				if e.Quote == "" || !strings.Contains(text, e.Quote) || e.Ref != "content_model:v3" || e.Category != o.Model.Label {
					t.Errorf("model evidence %+v for %q: want a quote of the text, the version and the label", e, text)
				}
			}
		}
		if len(ev) == 0 {
			t.Errorf("active CheckContent(%q) cites no model features", text)
		}
		s := shadow.CheckContent(c, nil, rules.Merchant{}, nil)
		if s.Result.Outcome != anxin.OutcomeAllow || s.Model != nil || s.ShadowModel == nil || !s.ShadowModel.Shadow || !s.ShadowModel.Routed {
			t.Errorf("shadow CheckContent(%q) = %s, shadow model %+v; want allow, recorded as would-route", text, s.Result.Outcome, s.ShadowModel)
		}
		if b := both.CheckContent(c, nil, rules.Merchant{}, nil); b.Result.Outcome != anxin.OutcomeReview || !b.ShadowModel.Routed {
			t.Errorf("active+shadow CheckContent(%q) = %s, shadow %+v; want review, shadow would-route", text, b.Result.Outcome, b.ShadowModel)
		}
	}
	// The default vocabulary catches most of these itself; of those it
	// misses, the model must route at least half.
	if missed > 0 && 2*len(routed) < missed {
		t.Errorf("the model routed %d of the %d seed-set violations the lexicons miss (%q); want at least half", len(routed), missed, routed)
	}

	// A lexicon block stays a block; the model never lowers or raises it.
	c := &anxin.ContentItem{ID: "c2", Kind: "comment", Text: "高仿 包包 一比一"}
	if got, want := active.CheckContent(c, nil, rules.Merchant{}, nil).Result.Outcome, base.CheckContent(c, nil, rules.Merchant{}, nil).Result.Outcome; got != want {
		t.Errorf("CheckContent(%q) with model = %s; without = %s", c.Text, got, want)
	}
	// Clean text stays allowed.
	c = &anxin.ContentItem{ID: "c3", Kind: "comment", Text: "快递很快，包装也很仔细，好评"}
	if o := active.CheckContent(c, nil, rules.Merchant{}, nil); o.Result.Outcome != anxin.OutcomeAllow {
		t.Errorf("CheckContent(%q) = %s (model %+v); want allow", c.Text, o.Result.Outcome, o.Model)
	}
}

func TestBlockRuleMayNotReadModel(t *testing.T) {
	r := anxin.Rule{ID: "m.block", When: `model.score > 0.9`, Outcome: anxin.OutcomeBlock, Reason: "x"}
	err := rules.CheckRule(r)
	if err == nil || !strings.Contains(err.Error(), "a block rule may not read the model") {
		t.Errorf("CheckRule(block on model) = %v; want refused", err)
	}
	r.Outcome = anxin.OutcomeReview
	if err := rules.CheckRule(r); err != nil {
		t.Errorf("CheckRule(review on model) = %v; want nil", err)
	}
}

// BenchmarkCheckListingModel measures the whole in-process check of a
// typical listing without and with the seed-set content model, in the same
// run, and reports checks per CPU-second.
func BenchmarkCheckListingModel(b *testing.B) {
	p, err := DefaultPack()
	if err != nil {
		b.Fatal(err)
	}
	base, err := p.Engine()
	if err != nil {
		b.Fatal(err)
	}
	m := seedModel(b)
	for _, tc := range []struct {
		name string
		eng  *Engine
	}{{"without_model", base}, {"with_model", base.WithModel(ContentModel{Classifier: m, Version: 1})}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			start, cpu0 := time.Now(), cpuTime()
			for b.Loop() {
				tc.eng.CheckListing(typicalListings[i%len(typicalListings)], rules.Merchant{}, nil)
				i++
			}
			b.ReportMetric(float64(i)/time.Since(start).Seconds(), "checks/s")
			b.ReportMetric(float64(i)/(cpuTime()-cpu0).Seconds(), "checks/cpu-s")
		})
	}
}
