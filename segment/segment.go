// Package segment splits Chinese text into words with a dictionary we own,
// so that a lexicon term marked as a word fires only where the text has a
// word boundary, and intent cues (卖, 出, 戒) count only as words of their own.
//
// The method is the cheapest one that handles the cases that matter: a
// segmentation of each run of Chinese characters into dictionary words and
// single characters with the fewest pieces (every dictionary word costs the
// same, an unknown character a little more), ties going to the longer word
// further right. Runs of Latin letters and digits are one word each; every
// other character is a word of its own. So in 象牙白 the dictionary word
// 象牙白 hides 象牙, in 大麻花 the split 大|麻花 beats 大麻|花, and in 卖大麻
// 大麻 stands alone.
//
//	seg := segment.Default()
//	b := seg.Boundaries("天然象牙手串", nil) // b[i]: a word starts or ends at byte i
//
// The dictionary (dict.txt, embedded) holds everyday and marketplace words:
// product nouns, colours, materials, category and brand words, function
// words, and the ordinary words that contain a risky term. It is compiled
// once into a byte trie on first use. A Segmenter is immutable and safe for
// concurrent use.
package segment

import (
	_ "embed"
	"strings"
	"sync"
	"unicode/utf8"
)

//go:embed dict.txt
var dictText string

// MaxWordRunes is the longest dictionary word, in characters.
const MaxWordRunes = 8

// Costs of a piece of a segmentation: a dictionary word or a Latin/digit
// run, and a character the dictionary does not know.
const (
	wordCost    = 10
	unknownCost = 12
)

// Segmenter finds word boundaries with a dictionary.
type Segmenter struct {
	// A character trie whose transitions live in one open-addressing hash
	// table: key uint64(node)<<32 | rune, value the child node. Node 0 is
	// the root; a rune is never 0, so a key is never 0 (the empty slot).
	keys  []uint64
	vals  []int32
	mask  uint64
	word  []bool // per node: a word ends here
	words int
}

var (
	defaultOnce sync.Once
	defaultSeg  *Segmenter
)

// Default returns the segmenter over the embedded dictionary.
func Default() *Segmenter {
	defaultOnce.Do(func() { defaultSeg = New(Words(dictText)) })
	return defaultSeg
}

// Words reads a dictionary text: words separated by white space, '#' to the
// end of a line is a comment. Words are lower-cased; words longer than
// MaxWordRunes are skipped.
func Words(text string) []string {
	var out []string
	for line := range strings.Lines(text) {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, w := range strings.Fields(line) {
			if n := utf8.RuneCountInString(w); n >= 1 && n <= MaxWordRunes && utf8.ValidString(w) {
				out = append(out, strings.ToLower(w))
			}
		}
	}
	return out
}

// New builds a segmenter over words.
func New(words []string) *Segmenter {
	edges := map[uint64]int32{}
	s := &Segmenter{word: []bool{false}}
	for _, w := range words {
		n := int32(0)
		for _, r := range w {
			k := uint64(n)<<32 | uint64(r)
			c, ok := edges[k]
			if !ok {
				c = int32(len(s.word))
				s.word = append(s.word, false)
				edges[k] = c
			}
			n = c
		}
		if n != 0 && !s.word[n] {
			s.word[n] = true
			s.words++
		}
	}
	size := 16
	for size < 2*len(edges) {
		size *= 2
	}
	s.keys, s.vals, s.mask = make([]uint64, size), make([]int32, size), uint64(size-1)
	for k, v := range edges {
		i := hash(k) & s.mask
		for s.keys[i] != 0 {
			i = (i + 1) & s.mask
		}
		s.keys[i], s.vals[i] = k, v
	}
	return s
}

func hash(k uint64) uint64 {
	k *= 0x9E3779B97F4A7C15
	return k ^ k>>29
}

// Len returns the number of dictionary words.
func (s *Segmenter) Len() int { return s.words }

// child returns the node after n on r, or -1.
func (s *Segmenter) child(n int32, r rune) int32 {
	k := uint64(n)<<32 | uint64(r)
	for i := hash(k) & s.mask; ; i = (i + 1) & s.mask {
		switch s.keys[i] {
		case k:
			return s.vals[i]
		case 0:
			return -1
		}
	}
}

// Contains reports whether w is a dictionary word.
func (s *Segmenter) Contains(w string) bool {
	n := int32(0)
	for _, r := range strings.ToLower(w) {
		if n = s.child(n, r); n < 0 {
			return false
		}
	}
	return n > 0 && s.word[n]
}

// isHan reports whether r is a CJK ideograph (the unified blocks and their
// extensions, and the compatibility block).
func isHan(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF || r >= 0xF900 && r <= 0xFAFF || r >= 0x20000 && r <= 0x323AF
}

func isWordRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

type scratch struct {
	pos        []int32
	runes      []rune
	cost, back []int32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// Boundaries returns, for text, a slice b of len(text)+1 where b[i] reports
// that a word starts or ends at byte offset i (0 and len(text) always do).
// dst is reused when it is large enough.
func (s *Segmenter) Boundaries(text string, dst []bool) []bool {
	n := len(text) + 1
	if cap(dst) < n {
		dst = make([]bool, n)
	}
	b := dst[:n]
	clear(b)
	b[0], b[len(text)] = true, true
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	for i := 0; i < len(text); {
		r, w := utf8.DecodeRuneInString(text[i:])
		switch {
		case isHan(r):
			j := i + w
			for j < len(text) {
				r2, w2 := utf8.DecodeRuneInString(text[j:])
				if !isHan(r2) {
					break
				}
				j += w2
			}
			s.segmentRun(text[i:j], i, b, sc)
			b[i], b[j] = true, true
			i = j
		case isWordRune(r):
			j := i + 1
			for j < len(text) && isWordRune(rune(text[j])) {
				j++
			}
			b[i], b[j] = true, true
			i = j
		default:
			b[i], b[i+w] = true, true
			i += w
		}
	}
	return b
}

// segmentRun segments a run of Chinese characters that starts at byte off of
// the text and marks its inner boundaries in b. sc holds scratch slices.
func (s *Segmenter) segmentRun(run string, off int, b []bool, sc *scratch) {
	sc.pos = sc.pos[:0]
	sc.runes = sc.runes[:0]
	for i, r := range run {
		sc.pos = append(sc.pos, int32(i))
		sc.runes = append(sc.runes, r)
	}
	n := len(sc.runes)
	sc.pos = append(sc.pos, int32(len(run)))
	if cap(sc.cost) < n+1 {
		sc.cost, sc.back = make([]int32, n+1), make([]int32, n+1)
	}
	cost, back := sc.cost[:n+1], sc.back[:n+1]
	const inf = 1 << 30
	for i := range cost {
		cost[i] = inf
	}
	cost[0] = 0
	for i := 0; i < n; i++ {
		// The character alone, then every dictionary word starting here.
		// Strict comparisons: on a tie the piece that starts earlier (the
		// longer last word) wins.
		if c := cost[i] + unknownCost; c < cost[i+1] {
			cost[i+1], back[i+1] = c, int32(i)
		}
		nd := int32(0)
		for j := i; j < n && j-i < MaxWordRunes; j++ {
			if nd = s.child(nd, sc.runes[j]); nd < 0 {
				break
			}
			if s.word[nd] {
				if c := cost[i] + wordCost; c < cost[j+1] {
					cost[j+1], back[j+1] = c, int32(i)
				}
			}
		}
	}
	for end := n; end > 0; {
		start := int(back[end])
		b[off+int(sc.pos[start])] = true
		end = start
	}
}

// Segment returns the words of text, for tests and tools.
func (s *Segmenter) Segment(text string) []string {
	b := s.Boundaries(text, nil)
	var out []string
	last := 0
	for i := 1; i <= len(text); i++ {
		if b[i] {
			out = append(out, text[last:i])
			last = i
		}
	}
	return out
}
