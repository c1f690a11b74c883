package lexicon

import (
	"slices"
	"unicode/utf8"
	"unsafe"
)

// automaton is an Aho-Corasick automaton over characters. Characters that
// occur in some pattern get a symbol 1..n; every other character is symbol 0,
// which sends the automaton back to the root.
//
// It is laid out for scanning Chinese text against 10^4..10^5 patterns with
// few unpredictable branches per character. The transition from state s on
// symbol c is the first of
//
//  1. a child of s: the double-array cell base(s)+c, if its check is s;
//  2. a child of a state on s's failure chain that is two or more
//     characters deep (df(s), df(df(s)), ...): a rare, separate path;
//  3. a child of f1(s), the one-character state on s's failure chain (the
//     state of s's last character): cell base(f1(s))+c;
//  4. the root's transition root[c] (a dense row).
//
// Loads 1, 3 and 4 are independent, so the processor overlaps them, and the
// choice compiles to conditional moves. Each state also stores how many
// patterns end there (its own and along its failure chain), so counting
// needs no branch per match either.
type automaton struct {
	ascii  [utf8.RuneSelf]uint32
	bmp    []uint16        // symbol of each BMP character (nil if none non-ASCII)
	astral map[rune]uint32 // symbols of characters above the BMP

	root   []uint32 // root transition by symbol
	states []state
	cells  []cell // the double array

	outs    []int32  // pattern ids, grouped by state (own outputs only)
	outFrom []uint32 // outs[outFrom[s]:outFrom[s+1]] end at state s
	dict    []uint32 // nearest state on the failure chain with own outputs, 0 if none
	lens    []int32  // byte length of each pattern
	df      []uint32 // the next state on the failure chain two or more characters deep, or 0
}

type state struct {
	base  uint32 // cells[base+c] holds s's child on c if its check is s
	fbase uint32 // base of f1
	f1    uint32 // the one-character state on the failure chain (or s, or 0)
	// count is the number of patterns ending here, failure chain
	// included, with hasDeep set if the failure chain has a state two or
	// more characters deep (a.df[s]). 16 bytes keep a state in one cache
	// line.
	count uint32
}

const (
	hasDeep   = 1 << 31
	countMask = hasDeep - 1
)

type cell struct {
	check uint32 // the state that owns the cell, noState if free
	next  uint32
}

const noState = ^uint32(0)

// buildAutomaton builds the automaton for pats, whose index is the pattern id.
func buildAutomaton(pats []string) *automaton {
	a := &automaton{astral: map[rune]uint32{}, lens: make([]int32, len(pats))}
	nsym := uint32(0)
	// BMP characters are numbered first, so their symbols fit in 16 bits
	// (the BMP has fewer than 65,536 characters); the rest come after.
	symOf := func(r rune) uint32 {
		switch {
		case r < utf8.RuneSelf:
			if a.ascii[r] == 0 {
				nsym++
				a.ascii[r] = nsym
			}
			return a.ascii[r]
		case r < 0x10000:
			if a.bmp == nil {
				a.bmp = make([]uint16, 0x10000)
			}
			if a.bmp[r] == 0 {
				nsym++
				a.bmp[r] = uint16(nsym)
			}
			return uint32(a.bmp[r])
		default:
			s, ok := a.astral[r]
			if !ok {
				nsym++
				a.astral[r] = nsym
				return nsym
			}
			return s
		}
	}
	for _, p := range pats {
		for _, r := range p {
			if r < 0x10000 {
				symOf(r)
			}
		}
	}
	// The trie.
	type edge struct{ from, sym uint32 }
	children := map[edge]uint32{}
	kids := [][]uint32{nil} // children of each state
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

	// Failure links, f1, df, counts and dictionary links, breadth first (a
	// state's failure target is shallower, so it is done first).
	fail := make([]uint32, n)
	depth := make([]int32, n)
	a.dict = make([]uint32, n)
	a.df = make([]uint32, n)
	goTo := func(s, c uint32) uint32 { // full transition, for construction
		for {
			if t, ok := children[edge{s, c}]; ok {
				return t
			}
			if s == 0 {
				return 0
			}
			s = fail[s]
		}
	}
	queue := make([]uint32, 0, n)
	for _, t := range kids[0] {
		depth[t] = 1
		a.states[t].f1 = t
		a.states[t].count = uint32(len(own[t]))
		queue = append(queue, t)
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		for _, t := range kids[s] {
			f := goTo(fail[s], syms[t])
			fail[t] = f
			depth[t] = depth[s] + 1
			st := &a.states[t]
			st.count = uint32(len(own[t])) + a.states[f].count&countMask
			if depth[f] <= 1 {
				st.f1 = f
			} else {
				st.f1, a.df[t] = a.states[f].f1, f
				st.count |= hasDeep
			}
			if len(own[f]) > 0 {
				a.dict[t] = f
			} else {
				a.dict[t] = a.dict[f]
			}
			queue = append(queue, t)
		}
	}
	rows := make([][]cell, n) // children by symbol; cell.check holds the symbol here
	for s := 1; s < n; s++ {
		if len(kids[s]) == 0 {
			continue
		}
		d := make([]cell, 0, len(kids[s]))
		for _, t := range kids[s] {
			d = append(d, cell{syms[t], t})
		}
		slices.SortFunc(d, func(x, y cell) int { return int(x.check) - int(y.check) })
		rows[s] = d
	}
	a.place(rows, nsym)
	for s := range a.states {
		a.states[s].fbase = a.states[a.states[s].f1].base
	}
	// The root keeps f1 = 0 and base 0: no cell is ever owned by state 0,
	// so its lookups always fall through to the root row.

	a.outFrom = make([]uint32, n+1)
	for s := 0; s < n; s++ {
		a.outFrom[s] = uint32(len(a.outs))
		a.outs = append(a.outs, own[s]...)
	}
	a.outFrom[n] = uint32(len(a.outs))
	return a
}

// place lays the children of every state into the double array: state s
// gets a base such that cells base+c are free for all its symbols c. States
// with many children go first (first fit decreasing). A state tries a few
// free cells for its lowest symbol from the start, then more from where the
// last state put at the end left holes, and otherwise goes to the end; later,
// smaller states fill the holes, so the array stays dense and building stays
// near linear.
func (a *automaton) place(rows [][]cell, nsym uint32) {
	const placeTries = 64
	order := make([]uint32, 0, len(rows))
	total := 0
	for s, d := range rows {
		if len(d) > 0 {
			order = append(order, uint32(s))
			total += len(d)
		}
	}
	slices.SortStableFunc(order, func(x, y uint32) int { return len(rows[y]) - len(rows[x]) })
	cells := make([]cell, 0, 2*total+int(nsym)+1)
	nextFree := make([]int32, 0, cap(cells)) // leads to the first free cell >= i
	grow := func(to int) {
		for len(cells) < to {
			nextFree = append(nextFree, int32(len(cells)))
			cells = append(cells, cell{check: noState})
		}
	}
	free := func(i int) int { // the first free cell >= i, or len(cells)
		r := i
		for r < len(cells) && int(nextFree[r]) != r {
			r = int(nextFree[r])
		}
		for i < len(cells) && int(nextFree[i]) != i { // path compression
			i, nextFree[i] = int(nextFree[i]), int32(r)
		}
		return r
	}
	fits := func(base uint32, d []cell) bool {
		for _, e := range d {
			if i := int(base + e.check); i < len(cells) && cells[i].check != noState {
				return false
			}
		}
		return true
	}
	// search tries up to tries free cells from pos for the lowest symbol;
	// it returns len(cells) if none fits.
	search := func(pos, lo int, d []cell, tries int) int {
		for try := 0; pos < len(cells); try++ {
			if fits(uint32(pos-lo), d) {
				return pos
			}
			if try == tries {
				break
			}
			pos = free(pos + 1)
		}
		return len(cells)
	}
	sparse := 0 // where the last state placed at the end left holes
	grow(1)
	for _, s := range order {
		d := rows[s]
		lo := int(d[0].check)
		pos := search(free(max(1, lo)), lo, d, placeTries)
		if pos == len(cells) && sparse < len(cells) {
			pos = search(free(max(sparse, lo)), lo, d, 16*placeTries)
		}
		if pos == len(cells) {
			sparse = len(cells)
			pos = max(pos, lo) // base = pos-lo must not be negative
		}
		base := uint32(pos - lo)
		grow(int(base+d[len(d)-1].check) + 1)
		for _, e := range d {
			i := base + e.check
			cells[i] = cell{check: s, next: e.next}
			nextFree[i] = int32(i + 1)
		}
		a.states[s].base = base
	}
	// Every base+c for c in 0..nsym must be in range.
	maxBase := uint32(0)
	for _, st := range a.states {
		maxBase = max(maxBase, st.base)
	}
	grow(int(maxBase+nsym) + 1)
	a.cells = cells
	// States without children keep base 0: no cell has them as check.
}

// step is the transition from state s on symbol c.
func (a *automaton) step(s, c uint32) uint32 {
	p := &a.states[s]
	e1 := a.cells[p.base+c]
	e2 := a.cells[p.fbase+c]
	t := a.root[c]
	if e2.check == p.f1 {
		t = e2.next
	}
	if e1.check == s {
		return e1.next
	}
	if p.count&hasDeep != 0 {
		return a.deepStep(a.df[s], c, t)
	}
	return t
}

// deepStep looks for a child on c of x and the deeper states on its failure
// chain; t is the answer if none has one.
func (a *automaton) deepStep(x, c, t uint32) uint32 {
	for ; x != 0; x = a.df[x] {
		if e := a.cells[a.states[x].base+c]; e.check == x {
			return e.next
		}
	}
	return t
}

// symbol returns the symbol of the character starting s[i] and the bytes to
// advance. Malformed UTF-8 gives symbol 0: the automaton restarts, exactly as
// a byte-level matcher would, because no pattern (valid UTF-8) can start
// with a continuation byte. An overlong or surrogate sequence is skipped
// whole for the same reason.
func (a *automaton) symbol(s string, i int) (uint32, int) {
	b0 := s[i]
	switch {
	case b0 < 0x80:
		return a.ascii[b0], 1
	case b0 >= 0xE0 && b0 < 0xF0 && i+2 < len(s):
		b1, b2 := s[i+1], s[i+2]
		if b1&0xC0 != 0x80 || b2&0xC0 != 0x80 {
			return 0, 1
		}
		r := uint32(b0&0x0F)<<12 | uint32(b1&0x3F)<<6 | uint32(b2&0x3F)
		if r < 0x800 || a.bmp == nil {
			return 0, 3
		}
		return uint32(a.bmp[r]), 3
	case b0 >= 0xC0 && b0 < 0xE0 && i+1 < len(s):
		b1 := s[i+1]
		if b1&0xC0 != 0x80 {
			return 0, 1
		}
		r := uint32(b0&0x1F)<<6 | uint32(b1&0x3F)
		if r < 0x80 || a.bmp == nil {
			return 0, 2
		}
		return uint32(a.bmp[r]), 2
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if r < 0x10000 || w == 1 {
		return 0, w // invalid, or a truncated 2- or 3-byte sequence
	}
	return a.astral[r], w
}

// count returns the number of pattern occurrences in b.
func (a *automaton) count(b []byte) int {
	s := unsafe.String(unsafe.SliceData(b), len(b)) // read only, no copy
	total := 0
	st := uint32(0)
	states, cells, root, bmp := a.states, a.cells, a.root, a.bmp
	for i := 0; i < len(s); {
		var c uint32
		if b0 := s[i]; b0 < 0x80 {
			c = a.ascii[b0]
			i++
		} else if b0 >= 0xE0 && b0 < 0xF0 && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 && bmp != nil {
			// A well-formed three-byte character (most of Chinese text);
			// a.symbol handles the rest.
			r := uint32(b0&0x0F)<<12 | uint32(s[i+1]&0x3F)<<6 | uint32(s[i+2]&0x3F)
			if r >= 0x800 {
				c = uint32(bmp[r])
			}
			i += 3
		} else {
			var w int
			c, w = a.symbol(s, i)
			i += w
		}
		if c == 0 { // a character in no pattern: back to the root
			st = 0
			continue
		}
		// a.step, inlined by hand.
		p := &states[st]
		e1, e2, t := cells[p.base+c], cells[p.fbase+c], root[c]
		if e2.check == p.f1 {
			t = e2.next
		}
		if e1.check == st {
			t = e1.next
		}
		if p.count&hasDeep != 0 && e1.check != st { // rare: predictable
			t = a.deepStep(a.df[st], c, t)
		}
		st = t
		total += int(states[st].count & countMask)
	}
	return total
}

// find appends every pattern occurrence in s to dst, in order of end.
func (a *automaton) find(s string, dst []rawMatch) []rawMatch {
	st := uint32(0)
	for i := 0; i < len(s); {
		c, w := a.symbol(s, i)
		i += w
		st = a.step(st, c)
		if a.states[st].count&countMask == 0 {
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
