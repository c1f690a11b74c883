package classify

import (
	"math"
	"math/rand/v2"
	"slices"

	"anxin"
	"anxin/lexicon"
)

// Example is one labelled text: label is Clean or a category (see
// Canonical).
type Example = anxin.ContentExample

// Options tune training; the zero value is the default.
type Options struct {
	Seed   uint64
	Bits   int     // log2 buckets; default DefaultBits
	Epochs int     // default 12
	Rate   float64 // initial learning rate; default 0.8
	L2     float64 // weight decay per step; default 1e-5
	// Threshold is the review threshold stored in the model; default
	// DefaultThreshold.
	Threshold float64
}

// Defaults and limits of training.
const (
	DefaultBits      = 16
	MinBits, MaxBits = 10, 22
	DefaultThreshold = 0.5
	MinExamples      = 10
	MaxExamples      = 500_000
)

// Train fits a model on examples. Labels are canonicalised (see Canonical).
// It returns Invalid when there are fewer than MinExamples or more than
// MaxExamples examples, an unknown label, no clean example or no
// violation. The same examples and seed give the same model.
func Train(examples []Example, o Options) (*Model, error) {
	if len(examples) < MinExamples {
		return nil, anxin.Errorf(anxin.Invalid, "Training needs at least %d labelled examples; got %d.", MinExamples, len(examples))
	}
	if len(examples) > MaxExamples {
		return nil, anxin.Errorf(anxin.Invalid, "Training takes at most %d examples; got %d.", MaxExamples, len(examples))
	}
	if o.Bits == 0 {
		o.Bits = DefaultBits
	}
	if o.Bits < MinBits || o.Bits > MaxBits {
		return nil, anxin.Errorf(anxin.Invalid, "bits must be %d to %d.", MinBits, MaxBits)
	}
	if o.Epochs <= 0 {
		o.Epochs = 12
	}
	if o.Rate <= 0 {
		o.Rate = 0.8
	}
	if o.L2 <= 0 {
		o.L2 = 1e-5
	}
	if o.Threshold <= 0 || o.Threshold >= 1 {
		o.Threshold = DefaultThreshold
	}
	labels := make([]int, len(examples)) // index into Categories, -1 for clean
	present := map[string]bool{}
	clean := 0
	for i, e := range examples {
		c, err := Canonical(e.Label)
		if err != nil {
			return nil, err
		}
		labels[i] = slices.Index(Categories, c)
		if c == Clean {
			clean++
		} else {
			present[c] = true
		}
	}
	if clean == 0 || len(present) == 0 {
		return nil, anxin.Errorf(anxin.Invalid, "Training needs both clean examples and violations.")
	}
	m := &Model{Bits: o.Bits, Threshold: o.Threshold, Seed: o.Seed, Examples: len(examples)}
	col := make([]int, len(Categories)) // category index → model label index
	for i, c := range Categories {
		col[i] = -1
		if present[c] {
			col[i] = len(m.Labels)
			m.Labels = append(m.Labels, c)
		}
	}
	L := len(m.Labels)
	m.bias = make([]float32, L)
	m.weights = make([]float32, L<<o.Bits)
	mask := m.mask()

	// Features once, as bucket ids.
	feats := make([][]uint32, len(examples))
	for i, e := range examples {
		var f []uint32
		extract(e.Kind, []lexicon.Text{lexicon.Normalize(e.Text)}, func(ft feature) { f = append(f, ft.hash&mask) })
		feats[i] = f
	}
	// Positive examples of a category are rare against the rest; weigh them
	// up to the size of the negatives (capped) so a rare category is learnt.
	pos := make([]int, L)
	for _, c := range labels {
		if c >= 0 {
			pos[col[c]]++
		}
	}
	posWeight := make([]float64, L)
	for l := range posWeight {
		posWeight[l] = math.Min(8, math.Max(1, float64(len(examples)-pos[l])/float64(max(pos[l], 1))/2))
	}

	r := rand.New(rand.NewPCG(o.Seed, 0xc1a551f1))
	order := make([]int, len(examples))
	for i := range order {
		order[i] = i
	}
	grad := make([]float64, L)
	z := make([]float64, L)
	for ep := range o.Epochs {
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		lr := o.Rate / (1 + 0.5*float64(ep))
		for _, i := range order {
			f := feats[i]
			scale := 1 / math.Sqrt(float64(len(f)))
			for l := range z {
				z[l] = 0
			}
			for _, b := range f {
				row := m.weights[int(b)*L : int(b)*L+L]
				for l, v := range row {
					z[l] += float64(v)
				}
			}
			y := -1
			if labels[i] >= 0 {
				y = col[labels[i]]
			}
			for l := range grad {
				p := sigmoid(float64(m.bias[l]) + z[l]*scale)
				if l == y {
					grad[l] = (p - 1) * posWeight[l]
				} else {
					grad[l] = p
				}
			}
			for _, b := range f {
				row := m.weights[int(b)*L : int(b)*L+L]
				for l := range row {
					row[l] -= float32(lr * (grad[l]*scale + o.L2*float64(row[l])))
				}
			}
			for l := range grad {
				m.bias[l] -= float32(lr * grad[l] * 0.1)
			}
		}
	}
	return m, nil
}

// Metrics are a model's figures on a labelled holdout (see
// anxin.ContentMetrics).
type Metrics = anxin.ContentMetrics

// LabelMetrics are one category's figures.
type LabelMetrics = anxin.LabelMetrics

// Evaluate measures m on examples. Labels must be known (see Canonical);
// it returns Invalid otherwise, or when examples is empty.
func (m *Model) Evaluate(examples []Example) (Metrics, error) {
	if len(examples) == 0 {
		return Metrics{}, anxin.Errorf(anxin.Invalid, "The holdout is empty.")
	}
	type count struct{ tp, fp, fn, support int }
	per := map[string]*count{}
	get := func(l string) *count {
		if per[l] == nil {
			per[l] = &count{}
		}
		return per[l]
	}
	var tp, fp, fn, clean, exact int
	for _, e := range examples {
		want, err := Canonical(e.Label)
		if err != nil {
			return Metrics{}, err
		}
		got := m.Classify(e.Kind, []lexicon.Text{lexicon.Normalize(e.Text)}).Label
		if got == want {
			exact++
		}
		switch {
		case want != Clean && got != Clean:
			tp++
		case want == Clean && got != Clean:
			fp++
		case want != Clean && got == Clean:
			fn++
		}
		if want == Clean {
			clean++
		} else {
			c := get(want)
			c.support++
			if got != want {
				c.fn++
			}
		}
		if got != Clean {
			if got == want {
				get(got).tp++
			} else {
				get(got).fp++
			}
		}
	}
	mt := Metrics{Examples: len(examples), Violations: len(examples) - clean, PerLabel: map[string]LabelMetrics{}}
	mt.Precision, mt.Recall = ratio(tp, tp+fp), ratio(tp, tp+fn)
	if mt.Precision+mt.Recall > 0 {
		mt.F1 = round(2 * mt.Precision * mt.Recall / (mt.Precision + mt.Recall))
	}
	mt.FalsePositiveRate, mt.Accuracy = ratio(fp, clean), ratio(exact, len(examples))
	for l, c := range per {
		mt.PerLabel[l] = LabelMetrics{Support: c.support, Precision: ratio(c.tp, c.tp+c.fp), Recall: ratio(c.tp, c.tp+c.fn)}
	}
	return mt, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return round(float64(a) / float64(b))
}

func round(v float64) float64 { return math.Round(v*10000) / 10000 }
