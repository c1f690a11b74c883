// Package counterfeit scores listings and content for counterfeit risk from
// explainable signals — coded language, unauthorised brand use, a price far
// below the brand's reference price, image-hash matches, the merchant's
// relation-network cluster and history, influencer history and a learned
// text model — and holds the rules of rights holders' notices (the reason
// taxonomy, evidence requirements, business-day windows and penalty ladders).
//
// The package does no I/O: callers gather the inputs (sqlstore does) and
// get back a score with one signal per finding, each with a sentence of
// evidence.
//
//	s := counterfeit.Score(counterfeit.Input{Brand: b, Authorised: false, PriceFen: 9900, ...})
//	// s.Score in [0,1]; s.Signals feed governance as signals["counterfeit.<name>"]
package counterfeit

import (
	"fmt"
	"math"
	"sort"

	"anxin"
)

// ImageMatch is a hash-bank match of one of the subject's images.
type ImageMatch struct {
	Label    string // counterfeit, logo_covered, brand_owned
	BrandID  string
	Distance int // Hamming distance of the 256-bit hashes (0..256)
}

// Input is everything the score looks at. Zero values mean "no evidence".
type Input struct {
	Subject    string
	Brand      *anxin.Brand // the registered brand the subject uses or mentions, if any
	MerchantID string
	Category   string
	PriceFen   int64

	CodedLanguageHits int // counterfeit-category lexicon hits (from governance)
	ImageMatches      []ImageMatch
	ClusterRisk       float64 // inherited risk from the relation network, 0..1
	ClusterRiskFrom   string  // the risky member it comes from
	MerchantFindings  int     // confirmed counterfeit findings against the merchant in 365 days
	InfluencerPenalty int     // penalties of the influencer selling it in 365 days
	ModelScore        float64 // the text model's probability; negative when no model is loaded
}

// Weights of each signal in the noisy-OR combination: the score is
// 1 − Π(1 − weight·value). A signal at full strength alone reaches its
// weight; independent signals reinforce each other.
var Weights = map[string]float64{
	"coded_language":     0.85,
	"brand_unauthorised": 0.45,
	"price_far_below":    0.55,
	"image_counterfeit":  0.9,
	"image_logo_covered": 0.7,
	"image_brand_owned":  0.5,
	"cluster_risk":       0.6,
	"merchant_history":   0.5,
	"influencer_history": 0.3,
	"model":              0.6,
}

// PDQMatchDistance is the largest PDQ distance counted as the same image.
const PDQMatchDistance = 31

// Score combines the inputs into a counterfeit score with its signals,
// strongest first. It never fails: missing inputs add no signal.
func Score(in Input) anxin.CounterfeitScore {
	var sig []anxin.ScoreSignal
	add := func(name string, v float64, detail string) {
		if v > 0 {
			sig = append(sig, anxin.ScoreSignal{Name: name, Value: round3(math.Min(v, 1)), Detail: detail})
		}
	}
	if in.CodedLanguageHits > 0 {
		add("coded_language", float64(in.CodedLanguageHits)/2, fmt.Sprintf("%d counterfeit coded-language hit(s)", in.CodedLanguageHits))
	}
	if b := in.Brand; b != nil {
		authorised := false
		for _, s := range b.AuthorisedSellers {
			authorised = authorised || s == in.MerchantID
		}
		if !authorised && len(b.AuthorisedSellers) > 0 {
			add("brand_unauthorised", 1, fmt.Sprintf("uses registered brand %s but is not among its %d authorised sellers", b.Name, len(b.AuthorisedSellers)))
		}
		if ref, ok := b.RefPricesFen[in.Category]; ok && ref > 0 && in.PriceFen > 0 && !authorised {
			ratio := float64(in.PriceFen) / float64(ref)
			// Below half the reference price the signal rises linearly and
			// is at full strength at 10 %: deep discounts of branded goods
			// by unauthorised sellers are the classic counterfeit tell.
			if ratio < 0.5 {
				add("price_far_below", (0.5-ratio)/0.4, fmt.Sprintf("price %d fen is %.0f%% of %s's reference %d fen in %s", in.PriceFen, ratio*100, b.Name, ref, in.Category))
			}
		}
	}
	best := map[string]ImageMatch{}
	for _, m := range in.ImageMatches {
		if m.Distance > PDQMatchDistance {
			continue
		}
		if old, ok := best[m.Label]; !ok || m.Distance < old.Distance {
			best[m.Label] = m
		}
	}
	strength := func(d int) float64 { return 1 - float64(d)/float64(PDQMatchDistance+1)*0.5 }
	if m, ok := best["counterfeit"]; ok {
		add("image_counterfeit", strength(m.Distance), fmt.Sprintf("an image matches a known counterfeit image at distance %d", m.Distance))
	}
	if m, ok := best["logo_covered"]; ok {
		add("image_logo_covered", strength(m.Distance), fmt.Sprintf("an image matches a known covered-logo image at distance %d", m.Distance))
	}
	if m, ok := best["brand_owned"]; ok && in.Brand != nil {
		authorised := false
		for _, s := range in.Brand.AuthorisedSellers {
			authorised = authorised || s == in.MerchantID
		}
		if !authorised {
			add("image_brand_owned", strength(m.Distance), fmt.Sprintf("uses %s's own product image without authorisation (distance %d)", in.Brand.Name, m.Distance))
		}
	}
	if in.ClusterRisk > 0 {
		add("cluster_risk", in.ClusterRisk, fmt.Sprintf("linked in the relation network to %s (inherited risk %.2f)", in.ClusterRiskFrom, in.ClusterRisk))
	}
	if in.MerchantFindings > 0 {
		add("merchant_history", float64(in.MerchantFindings)/3, fmt.Sprintf("merchant has %d confirmed counterfeit finding(s) in 365 days", in.MerchantFindings))
	}
	if in.InfluencerPenalty > 0 {
		add("influencer_history", float64(in.InfluencerPenalty)/3, fmt.Sprintf("the influencer has %d penalty(ies) in 365 days", in.InfluencerPenalty))
	}
	if in.ModelScore > 0.5 {
		// Below 0.5 the model has no opinion worth citing.
		add("model", (in.ModelScore-0.5)*2, fmt.Sprintf("text model probability %.2f", in.ModelScore))
	}
	sort.Slice(sig, func(i, j int) bool {
		wi, wj := Weights[sig[i].Name]*sig[i].Value, Weights[sig[j].Name]*sig[j].Value
		if wi != wj {
			return wi > wj
		}
		return sig[i].Name < sig[j].Name
	})
	keep := 1.0
	for _, s := range sig {
		keep *= 1 - Weights[s.Name]*s.Value
	}
	return anxin.CounterfeitScore{Subject: in.Subject, Score: round3(1 - keep), Signals: sig}
}

// Signals renders a score as the governance signals map:
// "counterfeit.score" plus "counterfeit.<signal>" for each signal.
func Signals(s *anxin.CounterfeitScore) map[string]float64 {
	m := map[string]float64{"counterfeit.score": s.Score}
	for _, x := range s.Signals {
		m["counterfeit."+x.Name] = x.Value
	}
	return m
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
