package lexicon

import (
	"math/bits"
	"unicode/utf8"
	"unsafe"
)

// automaton is an Aho-Corasick automaton over characters. Characters that
// occur in some pattern get a symbol 1..n; every other character is symbol 0,
// which sends the automaton back to the root.
//
// Layout, chosen for scanning Chinese text against 10^4..10^5 patterns:
//   - the root's transitions are one dense row indexed by symbol;
//   - a state with one child keeps it inline (most states deep in a term);
//   - other goto edges live in one open-addressing hash table;
//   - each state stores how many patterns end there (its own and along its
//     failure chain), so counting needs no branch per match.
type automaton struct {
	ascii  [utf8.RuneSelf]uint32
	bmp    []uint32        // symbol of each BMP character (nil if none non-ASCII)
	astral map[rune]uint32 // symbols of characters above the BMP

	root   []uint32 // root transition by symbol
	states []state
	hkeys  []uint64 // state<<32 | symbol, emptyKey if free
	hvals  []uint32
	hmask  uint64

	outs    []int32  // pattern ids, grouped by state (own outputs only)
	outFrom []uint32 // outs[outFrom[s]:outFrom[s+1]] end at state s
	dict    []uint32 // nearest state on the failure chain with own outputs, 0 if none
	lens    []int32  // byte length of each pattern
}

type state struct {
	sym   uint32 // symbol of the only child, multiChild, or noChild
	next  uint32 // the only child
	fail  uint32
	count uint32 // patterns ending here, failure chain included
}

const (
	noChild    = 0
	multiChild = ^uint32(0)
	emptyKey   = ^uint64(0)
)

// buildAutomaton builds the automaton for pats, whose index is the pattern id.
func buildAutomaton(pats []string) *automaton {
	a := &automaton{astral: map[rune]uint32{}, lens: make([]int32, len(pats))}
	nsym := uint32(0)
	symOf := func(r rune) uint32 {
		var p *uint32
		switch {
		case r < utf8.RuneSelf:
			p = &a.ascii[r]
		case r < 0x10000:
			if a.bmp == nil {
				a.bmp = make([]uint32, 0x10000)
			}
			p = &a.bmp[r]
		default:
			s, ok := a.astral[r]
			if !ok {
				nsym++
				a.astral[r] = nsym
				return nsym
			}
			return s
		}
		if *p == 0 {
			nsym++
			*p = nsym
		}
		return *p
	}
	// Build the trie with a map for edges.
	type edge struct{ from, sym uint32 }
	children := map[edge]uint32{}
	kids := [][]uint32{nil} // children of each state, in insertion order
	syms := []uint32{0}     // symbol on the edge into each state
	own := [][]int32{nil}
	for id, p := range pats {
		a.lens[id] = int32(len(p))
		s := uint32(0)
		for _, r := range p {
			c := symOf(r)
			t, ok := children[edge{s, c}]
			if !ok {
				t = uint32(len(kids))
				children[edge{s, c}] = t
				kids = append(kids, nil)
				syms = append(syms, c)
				own = append(own, nil)
				kids[s] = append(kids[s], t)
			}
			s = t
		}
		own[s] = append(own[s], int32(id))
	}
	n := len(kids)
	a.states = make([]state, n)
	a.root = make([]uint32, nsym+1)
	for _, t := range kids[0] {
		a.root[syms[t]] = t
	}
	// Hash table for states with two or more children.
	multi := 0
	for s := 1; s < n; s++ {
		if len(kids[s]) > 1 {
			multi += len(kids[s])
		}
	}
	size := uint64(1) << bits.Len64(uint64(multi*2+1))
	a.hkeys = make([]uint64, size)
	a.hvals = make([]uint32, size)
	a.hmask = size - 1
	for i := range a.hkeys {
		a.hkeys[i] = emptyKey
	}
	for s := 1; s < n; s++ {
		switch len(kids[s]) {
		case 0:
			a.states[s].sym = noChild
		case 1:
			a.states[s].sym, a.states[s].next = syms[kids[s][0]], kids[s][0]
		default:
			a.states[s].sym = multiChild
			for _, t := range kids[s] {
				a.hput(uint64(s)<<32|uint64(syms[t]), t)
			}
		}
	}
	// Failure links, counts and dictionary links, breadth first.
	a.dict = make([]uint32, n)
	queue := make([]uint32, 0, n)
	for _, t := range kids[0] {
		a.states[t].count = uint32(len(own[t]))
		queue = append(queue, t)
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		for _, t := range kids[s] {
			f := a.next(a.states[s].fail, syms[t])
			a.states[t].fail = f
			a.states[t].count = uint32(len(own[t])) + a.states[f].count
			if len(own[f]) > 0 {
				a.dict[t] = f
			} else {
				a.dict[t] = a.dict[f]
			}
			queue = append(queue, t)
		}
	}
	a.outFrom = make([]uint32, n+1)
	for s := 0; s < n; s++ {
		a.outFrom[s] = uint32(len(a.outs))
		a.outs = append(a.outs, own[s]...)
	}
	a.outFrom[n] = uint32(len(a.outs))
	return a
}

func hash(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> 17 }

func (a *automaton) hput(k uint64, v uint32) {
	for i := hash(k) & a.hmask; ; i = (i + 1) & a.hmask {
		if a.hkeys[i] == emptyKey {
			a.hkeys[i], a.hvals[i] = k, v
			return
		}
	}
}

func (a *automaton) hget(k uint64) uint32 {
	for i := hash(k) & a.hmask; ; i = (i + 1) & a.hmask {
		switch a.hkeys[i] {
		case k:
			return a.hvals[i]
		case emptyKey:
			return 0
		}
	}
}

// next is the automaton's transition from state s on symbol c.
func (a *automaton) next(s, c uint32) uint32 {
	if c == 0 {
		return 0
	}
	for s != 0 {
		st := &a.states[s]
		if st.sym == c {
			return st.next
		}
		if st.sym == multiChild {
			if t := a.hget(uint64(s)<<32 | uint64(c)); t != 0 {
				return t
			}
		}
		s = st.fail
	}
	return a.root[c]
}

// symbol returns the symbol of the character starting b[i] and its width.
func (a *automaton) symbol(b string, i int) (uint32, int) {
	c := b[i]
	if c < utf8.RuneSelf {
		return a.ascii[c], 1
	}
	r, w := utf8.DecodeRuneInString(b[i:])
	switch {
	case r == utf8.RuneError && w == 1:
		return 0, 1
	case r < 0x10000:
		if a.bmp == nil {
			return 0, w
		}
		return a.bmp[r], w
	default:
		return a.astral[r], w
	}
}

// count returns the number of pattern occurrences in b.
func (a *automaton) count(b []byte) int {
	s := unsafe.String(unsafe.SliceData(b), len(b)) // read only, no copy
	total := 0
	st := uint32(0)
	for i := 0; i < len(s); {
		c, w := a.symbol(s, i)
		i += w
		st = a.next(st, c)
		total += int(a.states[st].count)
	}
	return total
}

// find appends every pattern occurrence in s to dst, in order of end.
func (a *automaton) find(s string, dst []rawMatch) []rawMatch {
	st := uint32(0)
	for i := 0; i < len(s); {
		c, w := a.symbol(s, i)
		i += w
		st = a.next(st, c)
		if a.states[st].count == 0 {
			continue
		}
		for x := st; x != 0; x = a.dict[x] {
			for _, id := range a.outs[a.outFrom[x]:a.outFrom[x+1]] {
				dst = append(dst, rawMatch{pat: id, start: int32(i) - a.lens[id], end: int32(i)})
			}
		}
	}
	return dst
}
