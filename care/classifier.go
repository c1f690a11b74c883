package care

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"math"
	"sort"
	"unicode"
	"unicode/utf8"
)

// The intent classifier is multinomial naive Bayes over hashed character
// n-grams (1 to 3 runes). Character n-grams need no word segmentation, so
// Chinese and English tickets are handled alike, and hashing bounds the
// model's size. Training only counts, so it is deterministic: the same
// examples in any order give the same model.

// Options tune training.
type Options struct {
	Buckets uint32  // hashed feature space; a power of two
	Alpha   float64 // Laplace smoothing
}

// DefaultOptions are the defaults: 65,536 buckets, alpha 0.1.
var DefaultOptions = Options{Buckets: 1 << 16, Alpha: 0.1}

// Model is a trained classifier. It is immutable and safe for concurrent
// use.
type Model struct {
	Classes []string
	buckets uint32
	alpha   float64
	counts  [][]uint32 // [class][bucket] feature counts (kept for encoding)
	docs    []uint32   // examples per class
	prior   []float64  // log P(class)
	w       []float32  // [bucket*nc + class] log P(feature | class)
}

// features calls fn with the hashed bucket of every 1-, 2- and 3-rune
// n-gram of text after case folding and collapsing runs of spaces and
// punctuation into one separator. It does not allocate.
func features(text string, mask uint32, fn func(uint32)) {
	var r1, r2 rune // previous two runes
	n := 0
	lastSep := true
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		switch {
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		case r < utf8.RuneSelf:
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
				r = ' '
			}
		case unicode.IsSpace(r) || unicode.IsPunct(r):
			r = ' '
		default:
			r = unicode.ToLower(r)
		}
		if r == ' ' {
			if lastSep {
				continue
			}
			lastSep = true
		} else {
			lastSep = false
		}
		h1 := mix(uint32(r) + 0x9e3779b9)
		if r != ' ' {
			fn(h1 & mask)
		}
		if n >= 1 {
			fn(mix(h1^mix(uint32(r1)+0x85ebca6b)) & mask)
		}
		if n >= 2 {
			fn(mix(h1^mix(uint32(r1)+0x85ebca6b)^mix(uint32(r2)+0xc2b2ae35)+0x27d4eb2f) & mask)
		}
		r2, r1 = r1, r
		n++
	}
}

// mix is a 32-bit finaliser (murmur3 fmix32).
func mix(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// Train fits a model to examples. Classes are the distinct groups in sorted
// order. It returns nil for no examples.
func Train(examples []Example, o Options) *Model {
	if len(examples) == 0 {
		return nil
	}
	if o.Buckets == 0 || o.Buckets&(o.Buckets-1) != 0 {
		o.Buckets = DefaultOptions.Buckets
	}
	if o.Alpha <= 0 {
		o.Alpha = DefaultOptions.Alpha
	}
	idx := map[string]int{}
	for _, e := range examples {
		idx[e.Group] = 0
	}
	m := &Model{buckets: o.Buckets, alpha: o.Alpha}
	for g := range idx {
		m.Classes = append(m.Classes, g)
	}
	sort.Strings(m.Classes)
	for i, g := range m.Classes {
		idx[g] = i
	}
	m.counts = make([][]uint32, len(m.Classes))
	for i := range m.counts {
		m.counts[i] = make([]uint32, o.Buckets)
	}
	m.docs = make([]uint32, len(m.Classes))
	mask := o.Buckets - 1
	for _, e := range examples {
		c := idx[e.Group]
		m.docs[c]++
		cc := m.counts[c]
		features(e.Text, mask, func(b uint32) { cc[b]++ })
	}
	m.finish()
	return m
}

// finish derives the log probabilities from the counts.
func (m *Model) finish() {
	nc := len(m.Classes)
	var docs float64
	for _, d := range m.docs {
		docs += float64(d)
	}
	m.prior = make([]float64, nc)
	m.w = make([]float32, int(m.buckets)*nc)
	for c := 0; c < nc; c++ {
		m.prior[c] = math.Log((float64(m.docs[c]) + 1) / (docs + float64(nc)))
		var total float64
		for _, v := range m.counts[c] {
			total += float64(v)
		}
		denom := math.Log(total + m.alpha*float64(m.buckets))
		for b, v := range m.counts[c] {
			m.w[b*nc+c] = float32(math.Log(float64(v)+m.alpha) - denom)
		}
	}
}

// Predict returns the most likely group for text and its posterior
// probability. It allocates only a small score array.
func (m *Model) Predict(text string) (string, float64) {
	nc := len(m.Classes)
	var buf [32]float64
	scores := buf[:0]
	if nc <= len(buf) {
		scores = buf[:nc]
	} else {
		scores = make([]float64, nc)
	}
	copy(scores, m.prior)
	w := m.w
	features(text, m.buckets-1, func(b uint32) {
		row := w[int(b)*nc : int(b)*nc+nc]
		for c, v := range row {
			scores[c] += float64(v)
		}
	})
	best := 0
	for c := 1; c < nc; c++ {
		if scores[c] > scores[best] {
			best = c
		}
	}
	var sum float64
	for _, s := range scores {
		sum += math.Exp(s - scores[best])
	}
	return m.Classes[best], 1 / sum
}

// Split divides examples deterministically into a training set and a
// held-out test set of about one in every testEvery examples, chosen by a
// hash of the ID (or, without one, the text) so the split does not depend
// on order.
func Split(examples []Example, testEvery uint32) (train, test []Example) {
	for _, e := range examples {
		h := fnv.New32a()
		if e.ID != "" {
			h.Write([]byte(e.ID))
		} else {
			h.Write([]byte(e.Text))
		}
		if testEvery > 0 && h.Sum32()%testEvery == 0 {
			test = append(test, e)
		} else {
			train = append(train, e)
		}
	}
	return train, test
}

// Accuracy returns the share of examples the model labels correctly.
func (m *Model) Accuracy(examples []Example) float64 {
	if len(examples) == 0 || m == nil {
		return 0
	}
	ok := 0
	for _, e := range examples {
		if g, _ := m.Predict(e.Text); g == e.Group {
			ok++
		}
	}
	return float64(ok) / float64(len(examples))
}

// MarshalText encodes the model compactly (its non-zero counts as varints,
// base64) for storage.
func (m *Model) MarshalText() ([]byte, error) {
	var b []byte
	b = binary.AppendUvarint(b, 1) // format version
	b = binary.AppendUvarint(b, uint64(m.buckets))
	b = binary.AppendUvarint(b, math.Float64bits(m.alpha))
	b = binary.AppendUvarint(b, uint64(len(m.Classes)))
	for c, name := range m.Classes {
		b = binary.AppendUvarint(b, uint64(len(name)))
		b = append(b, name...)
		b = binary.AppendUvarint(b, uint64(m.docs[c]))
		nz := 0
		for _, v := range m.counts[c] {
			if v != 0 {
				nz++
			}
		}
		b = binary.AppendUvarint(b, uint64(nz))
		prev := 0
		for i, v := range m.counts[c] {
			if v != 0 {
				b = binary.AppendUvarint(b, uint64(i-prev))
				b = binary.AppendUvarint(b, uint64(v))
				prev = i
			}
		}
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(len(b)))
	base64.StdEncoding.Encode(out, b)
	return out, nil
}

var errModel = errors.New("the stored classifier model is corrupt")

// UnmarshalText decodes a model written by MarshalText.
func (m *Model) UnmarshalText(text []byte) error {
	b := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Decode(b, text)
	if err != nil {
		return errModel
	}
	b = b[:n]
	next := func() uint64 {
		v, k := binary.Uvarint(b)
		if k <= 0 {
			err = errModel
			return 0
		}
		b = b[k:]
		return v
	}
	if next() != 1 {
		return errModel
	}
	buckets := next()
	alpha := math.Float64frombits(next())
	nc := next()
	if err != nil || buckets == 0 || buckets > 1<<24 || buckets&(buckets-1) != 0 || nc == 0 || nc > 1000 {
		return errModel
	}
	*m = Model{buckets: uint32(buckets), alpha: alpha}
	for c := uint64(0); c < nc && err == nil; c++ {
		l := next()
		if l > uint64(len(b)) {
			return errModel
		}
		m.Classes = append(m.Classes, string(b[:l]))
		b = b[l:]
		m.docs = append(m.docs, uint32(next()))
		counts := make([]uint32, buckets)
		nz := next()
		pos := uint64(0)
		for i := uint64(0); i < nz && err == nil; i++ {
			pos += next()
			v := next()
			if pos >= buckets {
				return errModel
			}
			counts[pos] = uint32(v)
		}
		m.counts = append(m.counts, counts)
	}
	if err != nil {
		return err
	}
	m.finish()
	return nil
}
