package counterfeit

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"anxin"
)

func brand() *anxin.Brand {
	return &anxin.Brand{ID: "b1", Name: "Lumen", RefPricesFen: map[string]int64{"bags": 200000}, AuthorisedSellers: []string{"m_ok"}}
}

func TestScoreSignals(t *testing.T) {
	tests := []struct {
		name     string
		in       Input
		want     []string // signal names, strongest first
		minScore float64
		maxScore float64
	}{
		{"no evidence", Input{ModelScore: -1}, nil, 0, 0},
		{"authorised seller at a normal price", Input{Brand: brand(), MerchantID: "m_ok", Category: "bags", PriceFen: 180000, ModelScore: -1}, nil, 0, 0},
		{"unauthorised deep discount", Input{Brand: brand(), MerchantID: "m_x", Category: "bags", PriceFen: 20000, ModelScore: -1},
			[]string{"price_far_below", "brand_unauthorised"}, 0.6, 0.8},
		{"known counterfeit image and a risky cluster", Input{ImageMatches: []ImageMatch{{Label: "counterfeit", Distance: 4}, {Label: "counterfeit", Distance: 40}}, ClusterRisk: 0.9, ClusterRiskFrom: "merchant:old", ModelScore: -1},
			[]string{"image_counterfeit", "cluster_risk"}, 0.9, 1},
		{"model alone", Input{ModelScore: 0.95}, []string{"model"}, 0.5, 0.6},
	}
	for _, tt := range tests {
		s := Score(tt.in)
		var got []string
		for _, x := range s.Signals {
			got = append(got, x.Name)
			if x.Detail == "" {
				t.Errorf("%s: signal %s has no evidence sentence", tt.name, x.Name)
			}
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: signals = %v; want %v", tt.name, got, tt.want)
		}
		if s.Score < tt.minScore || s.Score > tt.maxScore {
			t.Errorf("%s: score = %v; want in [%v, %v]", tt.name, s.Score, tt.minScore, tt.maxScore)
		}
	}
	m := Signals(&anxin.CounterfeitScore{Score: 0.7, Signals: []anxin.ScoreSignal{{Name: "cluster_risk", Value: 0.9}}})
	if m["counterfeit.score"] != 0.7 || m["counterfeit.cluster_risk"] != 0.9 {
		t.Errorf("Signals() = %v", m)
	}
}

func TestCheckNotice(t *testing.T) {
	ok := anxin.Notice{BrandID: "b1", ListingID: "l1", Reason: "trademark.fake.gmjd",
		Evidence: []anxin.NoticeEvidence{{Kind: "order_id", Ref: "o1"}, {Kind: "appraisal_report", Ref: "r.pdf", SHA256: strings.Repeat("a", 64)}}}
	if _, err := CheckNotice(&ok); err != nil {
		t.Fatalf("CheckNotice(complete test-buy) = %v", err)
	}
	bad := []struct {
		name string
		edit func(n *anxin.Notice)
		msg  string
	}{
		{"missing appraisal", func(n *anxin.Notice) { n.Evidence = n.Evidence[:1] }, "needs appraisal_report"},
		{"unknown reason", func(n *anxin.Notice) { n.Reason = "because" }, "not in the complaint taxonomy"},
		{"unknown evidence kind", func(n *anxin.Notice) { n.Evidence[0].Kind = "vibes" }, "is not one of"},
		{"bad hash", func(n *anxin.Notice) { n.Evidence[1].SHA256 = "xyz" }, "64 hex digits"},
		{"hostile listing id", func(n *anxin.Notice) { n.ListingID = "l1'; DROP TABLE notices; --" }, "may contain only"},
	}
	for _, tt := range bad {
		n := ok
		n.Evidence = append([]anxin.NoticeEvidence(nil), ok.Evidence...)
		tt.edit(&n)
		_, err := CheckNotice(&n)
		if anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), tt.msg) {
			t.Errorf("CheckNotice(%s) = %v; want Invalid containing %q", tt.name, err, tt.msg)
		}
	}
}

func TestAddBusinessDays(t *testing.T) {
	// Friday 2026-03-06 10:00 in Shanghai; 10 business days later is Friday
	// 2026-03-20, ending 23:59:59 local.
	fri := time.Date(2026, 3, 6, 10, 0, 0, 0, anxin.MarketplaceTZ)
	got := AddBusinessDays(fri, 10).In(anxin.MarketplaceTZ)
	want := time.Date(2026, 3, 20, 23, 59, 59, 0, anxin.MarketplaceTZ)
	if !got.Equal(want) {
		t.Errorf("AddBusinessDays(Fri, 10) = %v; want %v", got, want)
	}
	if got := AddBusinessDays(fri, 1).In(anxin.MarketplaceTZ); got.Weekday() != time.Monday {
		t.Errorf("AddBusinessDays(Fri, 1) = %v; want the Monday", got)
	}
}

func TestLadders(t *testing.T) {
	if a, _ := RepeatSanction(4); a != "" {
		t.Errorf("RepeatSanction(4) = %q; want none", a)
	}
	if a, d := RepeatSanction(5); a != "shield_shop" || d != 14 {
		t.Errorf("RepeatSanction(5) = %q, %d", a, d)
	}
	if a, _ := RepeatSanction(12); a != "clear_out" {
		t.Errorf("RepeatSanction(12) = %q", a)
	}
	if s := InfluencerPenalty(2, false); s.Step != 2 || s.SuspendSharingDays != 7 {
		t.Errorf("InfluencerPenalty(2) = %+v", s)
	}
	if s := InfluencerPenalty(1, true); s.Step != 4 || s.FineFen != 2000000 {
		t.Errorf("InfluencerPenalty(severe) = %+v", s)
	}
}

// synthetic labelled offers: counterfeit ones use coded language around a
// brand; genuine ones describe the product plainly.
func corpus(n int, seed uint64) []Example {
	r := rand.New(rand.NewPCG(seed, 7))
	brands := []string{"Lumen", "Orbis", "Kestrel", "Nova"}
	bad := []string{"高仿", "原单", "A货", "1:1复刻", "莆田", "专柜品质", "顶级版本", "懂的来"}
	goods := []string{"手提包", "运动鞋", "手表", "钱包", "外套"}
	plain := []string{"正品保障", "官方授权", "全新", "支持七天无理由", "顺丰包邮", "现货"}
	var out []Example
	for i := 0; i < n; i++ {
		b, g := brands[r.IntN(len(brands))], goods[r.IntN(len(goods))]
		if i%2 == 0 {
			out = append(out, Example{Text: fmt.Sprintf("%s %s %s 男女同款", bad[r.IntN(len(bad))], b, g), Counterfeit: true})
		} else {
			out = append(out, Example{Text: fmt.Sprintf("%s %s %s 男女同款", plain[r.IntN(len(plain))], b, g)})
		}
	}
	return out
}

func TestTrainIsReproducibleAndLearns(t *testing.T) {
	ex := corpus(400, 1)
	a, err := Train(ex, 42, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Train(ex, 42, 1)
	if a.Bias != b.Bias || a.Weights[12345] != b.Weights[12345] || a.Metrics != b.Metrics {
		t.Fatal("training with the same seed gave different models")
	}
	if a.Metrics.Precision < 0.9 || a.Metrics.Recall < 0.9 || a.Metrics.HeldOut != 80 {
		t.Errorf("held-out metrics = %+v; want precision and recall ≥ 0.9 on 80 examples", a.Metrics)
	}
	if p := a.Predict("外贸原单 Orbis 运动鞋"); p < 0.5 {
		t.Errorf("Predict(counterfeit offer) = %v; want ≥ 0.5", p)
	}
	enc, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var c Model
	if err := c.UnmarshalBinary(enc); err != nil || c.Predict("高仿 Lumen 手表") != a.Predict("高仿 Lumen 手表") {
		t.Fatalf("model did not round-trip: %v", err)
	}
	if err := c.UnmarshalBinary([]byte(`{"buckets":4,"weights":"AAAA"}`)); anxin.KindOf(err) != anxin.Invalid {
		t.Errorf("UnmarshalBinary(short weights) = %v; want Invalid", err)
	}
	if _, err := Train(ex[:5], 1, 1); anxin.KindOf(err) != anxin.Invalid {
		t.Errorf("Train(5 examples) = %v; want Invalid", err)
	}
	if _, err := Train(corpus(40, 2)[:1:1], 1, 1); anxin.KindOf(err) != anxin.Invalid {
		t.Errorf("Train(one class) = %v; want Invalid", err)
	}
}

func BenchmarkScore(b *testing.B) {
	in := Input{Brand: brand(), MerchantID: "m_x", Category: "bags", PriceFen: 20000, CodedLanguageHits: 1,
		ImageMatches: []ImageMatch{{Label: "counterfeit", Distance: 9}}, ClusterRisk: 0.5, ClusterRiskFrom: "merchant:old", ModelScore: 0.8}
	for b.Loop() {
		Score(in)
	}
}

func BenchmarkPredict(b *testing.B) {
	m, _ := Train(corpus(400, 1), 1, 1)
	text := "2026新款 Lumen 手提包 真皮 大容量 通勤 女士 斜挎包 专柜品质 顺丰包邮 支持验货"
	for b.Loop() {
		m.Predict(text)
	}
}
