// Package bench compares the lexicon scanner with other multi-pattern
// matchers on a generated Chinese corpus. It is a module of its own so the
// peers never become dependencies of anxin; see README.md.
package bench

import (
	"math"
	"math/rand/v2"
	"strings"
)

// commonChars are frequent simplified characters, roughly most frequent
// first; the generator gives them Zipf-distributed weights.
const commonChars = "的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又定见只主没公从知使点业本把性应开它合因由些外理动加现实提质展长党员战问比全手体命部给重通区四明情向政解马关各系程件被果思工位第力立代先内社做海才表义领入口意正反平接等至利电少达安东门变高仿形想品原单格样更色流制教美石南路量保非转华万据决老计数气府设确常世线集资报队空结山任何引边清务直约示较导场完整类复刻专柜级价商包鞋机衣服款女男装新号码真假货"

// Peer is a matcher under comparison: Build returns a function that counts
// every occurrence, overlapping ones included, of the patterns in a text.
// Distinct marks a peer that can only report which patterns occur; it is
// compared on the number of distinct patterns instead.
type Peer struct {
	Name     string
	Distinct bool
	Build    func(pats []string) func(text []byte) int
}

// Extra lists peers that need a build tag (hyperscan.go, tag hyperscan).
var Extra []Peer

// Corpus is a generated dictionary and text.
type Corpus struct {
	Dict []string // unique patterns
	Text []byte
}

// Generate returns a dictionary of terms patterns and about textBytes bytes
// of Chinese marketplace-like text, the same for the same seed.
//
// The text is sentences of words; words are 1..4 characters drawn from a
// Zipf distribution over characters, and word frequencies are Zipf too. The
// dictionary mixes words of the text's vocabulary (so they occur at realistic
// rates), words that never occur, and Latin and mixed terms (brands, "a货",
// "1:1"), as a moderation lexicon does.
func Generate(seed uint64, terms, textBytes int) Corpus {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	chars := []rune(commonChars)
	// Extra, rarer characters from the CJK block make the long tail.
	for r := rune(0x4E00); len(chars) < 3000; r += 7 {
		chars = append(chars, r)
	}
	charZipf := newZipf(rng, len(chars), 1.0)
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteRune(chars[charZipf.next()])
		}
		return b.String()
	}
	lengths := []int{1, 2, 2, 2, 2, 3, 3, 4}
	vocabSize := max(4*terms, 20000)
	vocab := make([]string, 0, vocabSize)
	seen := map[string]bool{}
	for len(vocab) < vocabSize {
		w := word(lengths[rng.IntN(len(lengths))])
		if !seen[w] {
			seen[w] = true
			vocab = append(vocab, w)
		}
	}
	latin := []string{"gucci", "lv", "chanel", "nike", "adidas", "dior", "prada", "rolex", "iphone", "apple", "hermes", "ysl", "wechat", "vx", "qq", "replica", "fake", "a货", "1:1", "ok", "vip", "max", "pro", "plus"}

	dictSeen := map[string]bool{}
	var dict []string
	add := func(s string) {
		if s != "" && !dictSeen[s] {
			dictSeen[s] = true
			dict = append(dict, s)
		}
	}
	for _, l := range latin {
		add(l)
	}
	for len(dict) < terms {
		switch k := rng.IntN(10); {
		case k < 6: // a word of the text, skipping the most common ones
			w := vocab[200+rng.IntN(len(vocab)-200)]
			if len([]rune(w)) >= 2 {
				add(w)
			}
		case k < 9: // a term that rarely or never occurs
			add(word(2 + rng.IntN(4)))
		default: // brand + word, or word + digits
			if rng.IntN(2) == 0 {
				add(latin[rng.IntN(len(latin))] + vocab[rng.IntN(len(vocab))])
			} else {
				add(vocab[rng.IntN(len(vocab))] + string(rune('0'+rng.IntN(10))))
			}
		}
	}

	wordZipf := newZipf(rng, len(vocab), 1.05)
	var text strings.Builder
	punct := []string{"，", "，", "。", "！", "、", " "}
	for text.Len() < textBytes {
		n := 4 + rng.IntN(16)
		for i := range n {
			switch k := rng.IntN(40); {
			case k == 0:
				text.WriteString(latin[rng.IntN(len(latin))])
			case k == 1:
				text.WriteString(string(rune('0' + rng.IntN(10))))
				text.WriteString(string(rune('0' + rng.IntN(10))))
			default:
				text.WriteString(vocab[wordZipf.next()])
			}
			if i < n-1 && rng.IntN(6) == 0 {
				text.WriteString(punct[rng.IntN(len(punct))])
			}
		}
		text.WriteString("。\n")
	}
	return Corpus{Dict: dict, Text: []byte(text.String())}
}

// zipf draws ranks 0..n-1 with probability proportional to 1/(rank+1)^s.
type zipf struct {
	rng *rand.Rand
	cdf []float64
}

func newZipf(rng *rand.Rand, n int, s float64) *zipf {
	z := &zipf{rng: rng, cdf: make([]float64, n)}
	sum := 0.0
	for i := range n {
		sum += 1 / math.Pow(float64(i+1), s)
		z.cdf[i] = sum
	}
	for i := range z.cdf {
		z.cdf[i] /= sum
	}
	return z
}

func (z *zipf) next() int {
	u := z.rng.Float64()
	lo, hi := 0, len(z.cdf)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if z.cdf[mid] < u {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
