// Package classify is a fast linear content classifier: hashed character
// bigrams and trigrams of the lexicon-normalised text, words and the
// content kind, with one logistic regression per violation category
// (one-vs-rest), trained by stochastic gradient descent. It learns from
// labelled examples — a seed set and reviewers' decisions — and routes text
// the lexicons and patterns do not catch to review; it is never a block rule
// on its own. It does no I/O.
//
//	m, err := classify.Train(examples, classify.Options{Seed: 1})
//	if err != nil { ... } // Invalid: too few examples, no violation, …
//	texts := []lexicon.Text{lexicon.Normalize("加我看私房视频")}
//	p := m.Classify("comment", texts)
//	fmt.Println(p.Label, p.Score) // adult 0.93
//	top := m.Explain("comment", texts, p.Label) // [{私房 …} …]
//	b, _ := m.MarshalBinary() // versioned, checksummed
//
// Training is deterministic: the same examples and seed give the same
// weights, bit for bit. A Model is immutable after Train or UnmarshalBinary
// and safe for concurrent use.
package classify

import (
	"cmp"
	"math"
	"slices"

	"anxin/lexicon"
)

// Model is a trained content model.
type Model struct {
	// Labels are the violation categories the model scores, a subset of
	// Categories in their order.
	Labels []string `json:"labels"`
	// Bits is log2 of the number of hashed feature buckets.
	Bits int `json:"bits"`
	// Threshold is the score from which a prediction routes to review.
	Threshold float64 `json:"threshold"`
	// Seed and Examples record how the model was trained.
	Seed     uint64 `json:"seed"`
	Examples int    `json:"examples"`

	bias    []float32 // per label
	weights []float32 // bucket-major: weights[b*len(Labels)+l]
}

// Prediction is what the model says about one item.
type Prediction struct {
	// Label is the highest-scoring category, or Clean when no score
	// reaches the threshold.
	Label string `json:"label"`
	// Score is the probability of the highest-scoring category (0-1).
	Score float64 `json:"score"`
	// Top are the features that contributed most to Label, strongest
	// first; see Explain.
	Top []Contribution `json:"top,omitempty"`
}

// Contribution is one feature's part in a prediction.
type Contribution struct {
	// Text is the feature as normalised ("高仿", "vx").
	Text string `json:"text"`
	// Field is the index of the text it came from, Start and End its byte
	// span in that text's original (what was written).
	Field  int     `json:"field"`
	Start  int     `json:"start"`
	End    int     `json:"end"`
	Weight float64 `json:"weight"`
}

// maxLabels bounds len(Categories), for stack buffers.
const maxLabels = 32

// TopFeatures is how many contributions a prediction reports.
const TopFeatures = 5

func (m *Model) mask() uint32 { return uint32(1)<<m.Bits - 1 }

// scores fills z (len(Labels)) with the linear scores of the texts.
func (m *Model) scores(kind string, texts []lexicon.Text, z []float64) {
	L := len(m.Labels)
	mask := m.mask()
	var buf [maxLabels]float32
	acc := buf[:L]
	n := 0
	w := m.weights
	extract(kind, texts, func(f feature) {
		off := int(f.hash&mask) * L
		row := w[off : off+L : off+L]
		for l, v := range row {
			acc[l] += v
		}
		n++
	})
	scale := 1 / math.Sqrt(float64(n))
	for l := range z[:L] {
		z[l] = float64(m.bias[l]) + float64(acc[l])*scale
	}
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// Classify scores the texts of one item of the given kind (each text
// normalised with lexicon.Normalize). It allocates only when the item is
// flagged (for Top).
func (m *Model) Classify(kind string, texts []lexicon.Text) Prediction {
	var buf [maxLabels]float64
	z := buf[:len(m.Labels)]
	m.scores(kind, texts, z)
	best := 0
	for l := range z {
		if z[l] > z[best] {
			best = l
		}
	}
	p := Prediction{Label: Clean, Score: sigmoid(z[best])}
	if p.Score >= m.Threshold {
		p.Label = m.Labels[best]
	}
	return p
}

// Explain returns the TopFeatures features of the texts that push label up
// the most, strongest first, one per span of text (nil for Clean or a label
// the model lacks). Classify leaves Prediction.Top empty so a check pays for
// this only when the prediction is acted on.
func (m *Model) Explain(kind string, texts []lexicon.Text, label string) []Contribution {
	l := slices.Index(m.Labels, label)
	if l < 0 {
		return nil
	}
	return m.explain(kind, texts, l, TopFeatures)
}

// Scores returns the probability of each label, in Labels order.
func (m *Model) Scores(kind string, texts []lexicon.Text) []float64 {
	z := make([]float64, len(m.Labels))
	m.scores(kind, texts, z)
	for i := range z {
		z[i] = sigmoid(z[i])
	}
	return z
}

// explain returns the k features that push label l up the most, one per
// distinct span of text.
func (m *Model) explain(kind string, texts []lexicon.Text, l, k int) []Contribution {
	L := len(m.Labels)
	mask := m.mask()
	type cand struct {
		f feature
		w float64
	}
	var cs []cand
	extract(kind, texts, func(f feature) {
		if f.field < 0 {
			return
		}
		if v := float64(m.weights[int(f.hash&mask)*L+l]); v > 0 {
			cs = append(cs, cand{f, v})
		}
	})
	slices.SortStableFunc(cs, func(a, b cand) int { return cmp.Compare(b.w, a.w) })
	var out []Contribution
	seen := map[[3]int32]bool{}
	for _, c := range cs {
		if len(out) == k {
			break
		}
		key := [3]int32{c.f.field, c.f.start, c.f.end}
		if seen[key] {
			continue
		}
		seen[key] = true
		t := texts[c.f.field]
		os, oe := t.Original(int(c.f.start), int(c.f.end))
		out = append(out, Contribution{Text: t.Norm[c.f.start:c.f.end], Field: int(c.f.field), Start: os, End: oe,
			Weight: math.Round(c.w*1000) / 1000})
	}
	return out
}
