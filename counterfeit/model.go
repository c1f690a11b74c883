package counterfeit

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
	"unicode"

	"anxin"
)

// Model is a logistic-regression text classifier over hashed character
// n-grams (1 to 3 runes) of lower-cased text with separators removed. It
// learns from confirmed outcomes — reviewers' upheld and overturned
// decisions, rights holders' accepted and rejected notices — and gives one
// more counterfeit signal. Training is deterministic for a seed.
//
// A Model is safe for concurrent Predict calls.
type Model struct {
	Version   int       `json:"version"`
	Buckets   int       `json:"buckets"`
	Bias      float64   `json:"bias"`
	Weights   []float32 `json:"-"`
	Metrics   Metrics   `json:"metrics"`
	TrainedOn int       `json:"trained_on"`
	Seed      uint64    `json:"seed"`
}

// Metrics are a model's figures on its held-out split.
type Metrics struct {
	HeldOut   int     `json:"held_out"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	Accuracy  float64 `json:"accuracy"`
}

// Example is one labelled text.
type Example struct {
	Text        string `json:"text"`
	Counterfeit bool   `json:"counterfeit"`
}

// DefaultBuckets is the size of the hashed feature space.
const DefaultBuckets = 1 << 18

// features returns the hashed n-gram bucket ids of text.
func features(text string, buckets int, out []uint32) []uint32 {
	rs := make([]rune, 0, len(text))
	for _, r := range strings.ToLower(text) {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			rs = append(rs, r)
		}
	}
	h := fnv.New32a()
	var buf [12]byte
	for n := 1; n <= 3; n++ {
		for i := 0; i+n <= len(rs); i++ {
			h.Reset()
			k := 0
			for _, r := range rs[i : i+n] {
				k += binary.PutUvarint(buf[k:], uint64(r))
			}
			buf[k] = byte(n)
			h.Write(buf[:k+1])
			out = append(out, h.Sum32()%uint32(buckets))
		}
	}
	return out
}

// Train fits a model on examples, holding out every fifth example (after a
// seeded shuffle) to measure precision and recall. It returns Invalid when
// there are fewer than 10 examples or only one class.
func Train(examples []Example, seed uint64, version int) (*Model, error) {
	if len(examples) < 10 {
		return nil, anxin.Errorf(anxin.Invalid, "Training needs at least 10 labelled examples; got %d.", len(examples))
	}
	pos := 0
	for _, e := range examples {
		if e.Counterfeit {
			pos++
		}
	}
	if pos == 0 || pos == len(examples) {
		return nil, anxin.Errorf(anxin.Invalid, "Training needs both counterfeit and genuine examples.")
	}
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	idx := r.Perm(len(examples))
	var train, test []Example
	for i, j := range idx {
		if i%5 == 4 {
			test = append(test, examples[j])
		} else {
			train = append(train, examples[j])
		}
	}
	m := &Model{Version: version, Buckets: DefaultBuckets, Weights: make([]float32, DefaultBuckets), TrainedOn: len(train), Seed: seed}
	feats := make([][]uint32, len(train))
	for i, e := range train {
		feats[i] = features(e.Text, m.Buckets, nil)
	}
	const epochs, l2 = 8, 1e-6
	order := make([]int, len(train))
	for i := range order {
		order[i] = i
	}
	for ep := 0; ep < epochs; ep++ {
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		lr := 0.5 / (1 + float64(ep))
		for _, i := range order {
			f := feats[i]
			p := m.prob(f)
			y := 0.0
			if train[i].Counterfeit {
				y = 1
			}
			g := p - y
			scale := lr / math.Sqrt(float64(len(f))+1)
			for _, b := range f {
				m.Weights[b] -= float32(scale * (g + l2*float64(m.Weights[b])))
			}
			m.Bias -= lr * g * 0.1
		}
	}
	var tp, fp, fn, correct int
	for _, e := range test {
		pred := m.Predict(e.Text) >= 0.5
		switch {
		case pred && e.Counterfeit:
			tp++
		case pred && !e.Counterfeit:
			fp++
		case !pred && e.Counterfeit:
			fn++
		}
		if pred == e.Counterfeit {
			correct++
		}
	}
	m.Metrics = Metrics{HeldOut: len(test), Precision: ratio(tp, tp+fp), Recall: ratio(tp, tp+fn), Accuracy: ratio(correct, len(test))}
	return m, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return math.Round(float64(a)/float64(b)*1000) / 1000
}

func (m *Model) prob(f []uint32) float64 {
	z := m.Bias
	for _, b := range f {
		z += float64(m.Weights[b])
	}
	return 1 / (1 + math.Exp(-z))
}

// Predict returns the probability that text is a counterfeit offer.
func (m *Model) Predict(text string) float64 {
	if m == nil || len(m.Weights) == 0 {
		return -1
	}
	var buf [256]uint32
	return m.prob(features(text, m.Buckets, buf[:0]))
}

// MarshalBinary encodes the model as JSON with the weights in base64 of
// little-endian float32s.
func (m *Model) MarshalBinary() ([]byte, error) {
	var w bytes.Buffer
	binary.Write(&w, binary.LittleEndian, m.Weights)
	type wire Model
	return json.Marshal(struct {
		*wire
		W string `json:"weights"`
	}{(*wire)(m), base64.StdEncoding.EncodeToString(w.Bytes())})
}

// UnmarshalBinary decodes a model written by MarshalBinary. It returns
// Invalid for a malformed encoding.
func (m *Model) UnmarshalBinary(data []byte) error {
	type wire Model
	var in struct {
		*wire
		W string `json:"weights"`
	}
	in.wire = (*wire)(m)
	if err := json.Unmarshal(data, &in); err != nil {
		return anxin.Errorf(anxin.Invalid, "The model encoding is malformed.")
	}
	raw, err := base64.StdEncoding.DecodeString(in.W)
	if err != nil || m.Buckets <= 0 || m.Buckets > 1<<24 || len(raw) != 4*m.Buckets {
		return anxin.Errorf(anxin.Invalid, "The model weights are malformed.")
	}
	m.Weights = make([]float32, m.Buckets)
	return binary.Read(bytes.NewReader(raw), binary.LittleEndian, m.Weights)
}
