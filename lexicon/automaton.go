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
// It is laid out for scanning Chinese text against 10^4..10^5 patterns, where
// the automaton is larger than the caches: one cache miss per character, not
// two, and few unpredictable branches. A state is the index of its own cell
// in the double array (the root is cell 0, the state of a one-character
// prefix on symbol c is cell c), and the cell holds everything the scan needs
// about the state: the owner check, the base of its children and its match
// count. So the cell that a transition lands on is the one the next
// transition reads.
//
// The transition from state s, entered on symbol p, on symbol c is the first
// of
//
//  1. a child of s: cell base(s)+c, if its check is s;
//  2. a child of a state on s's failure chain that is two or more
//     characters deep (df(s), df(df(s)), ...): a rare, separate path;
//  3. a child of the one-character state p on s's failure chain (if the
//     root has a child on p): cell sym[p].base+c, if its check is p;
//  4. the root's child on c, which is cell c if the root has one.
//
// Loads 3 and 4 depend only on the text, not on s, so they do not wait for
// the previous transition; the processor overlaps them with load 1 and the
// choice compiles to conditional moves. Each cell also holds how many
// patterns end at its state (its own and along its failure chain), so
// counting needs no branch per match either.
type automaton struct {
	ascii  [utf8.RuneSelf]uint32
	bmp    []uint16        // symbol of each BMP character (nil if none non-ASCII)
	astral map[rune]uint32 // symbols of characters above the BMP

	sym   []symInfo // by symbol
	cells []cell    // the double array; a state is the index of its cell

	// Indexed by state (cell index):
	outs    []int32  // pattern ids, grouped by state (own outputs only)
	outFrom []uint32 // outs[outFrom[s]:outFrom[s+1]] end at state s
	dict    []uint32 // nearest state on the failure chain with own outputs, 0 if none
	df      []uint32 // the next state on the failure chain two or more characters deep, or 0
	lens    []int32  // byte length of each pattern
}

// symInfo is what the scan needs about a symbol c: the root's child on c
// (f1 = c) and its base, or zeros if the root has none.
type symInfo struct {
	base uint32
	f1   uint32
}

// cell is one slot of the double array and, if check is not noState, the
// state whose index it is.
type cell struct {
	check uint32 // the parent state, noState if the cell is free (and for the root)
	base  uint32 // cells[base+c] holds the child on c if its check is this state
	// count is the number of patterns ending here, failure chain
	// included, with hasDeep set if the failure chain has a state two or
	// more characters deep (a.df).
	count uint32
}

const (
	hasDeep   = 1 << 31
	countMask = hasDeep - 1
)

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
	// The most frequent characters of the patterns get the lowest symbols:
	// the children of a state then sit close together in the double array,
	// which packs it denser and puts the hot cells on fewer cache lines.
	freq := map[rune]int{}
	var bmpRunes []rune // in order of first appearance
	for _, p := range pats {
		for _, r := range p {
			if r < 0x10000 {
				if freq[r] == 0 {
					bmpRunes = append(bmpRunes, r)
				}
				freq[r]++
			}
		}
	}
	slices.SortStableFunc(bmpRunes, func(x, y rune) int { return freq[y] - freq[x] })
	for _, r := range bmpRunes {
		symOf(r)
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
	parent := make([]uint32, n)
	for s, ks := range kids {
		for _, t := range ks {
			parent[t] = uint32(s)
		}
	}

	// Failure links, counts, deep failure links and dictionary links, in
	// the trie's own numbering, breadth first (a state's failure target is
	// shallower, so it is done first).
	fail := make([]uint32, n)
	depth := make([]int32, n)
	count := make([]uint32, n)
	dict := make([]uint32, n)
	df := make([]uint32, n)
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
		count[t] = uint32(len(own[t]))
		queue = append(queue, t)
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		for _, t := range kids[s] {
			f := goTo(fail[s], syms[t])
			fail[t] = f
			depth[t] = depth[s] + 1
			count[t] = uint32(len(own[t])) + count[f]&countMask
			if depth[f] > 1 {
				df[t] = f
				count[t] |= hasDeep
			}
			if len(own[f]) > 0 {
				dict[t] = f
			} else {
				dict[t] = dict[f]
			}
			queue = append(queue, t)
		}
	}

	// The double array: every state's children by symbol, the root's at
	// base 0 so that the root's child on c is cell c.
	rows := make([][]edgeTo, n)
	for s := range n {
		if len(kids[s]) == 0 {
			continue
		}
		d := make([]edgeTo, 0, len(kids[s]))
		for _, t := range kids[s] {
			d = append(d, edgeTo{syms[t], t})
		}
		slices.SortFunc(d, func(x, y edgeTo) int { return int(x.sym) - int(y.sym) })
		rows[s] = d
	}
	base := place(rows, nsym)
	// Renumber: a state becomes the index of its cell, base(parent)+symbol.
	id := make([]uint32, n)
	size := 0
	for t := 1; t < n; t++ {
		id[t] = base[parent[t]] + syms[t]
		size = max(size, int(id[t])+1)
	}
	for s := range n {
		size = max(size, int(base[s]+nsym)+1) // every base+c, c <= nsym, in range
	}
	a.cells = make([]cell, size)
	for i := range a.cells {
		a.cells[i].check = noState
	}
	a.dict = make([]uint32, size)
	a.df = make([]uint32, size)
	a.cells[0].base = 0 // the root
	for t := 1; t < n; t++ {
		i := id[t]
		if a.cells[i].check != noState {
			panic("lexicon: two states share a cell")
		}
		a.cells[i] = cell{check: id[parent[t]], base: base[t], count: count[t]}
		a.dict[i] = id[dict[t]]
		a.df[i] = id[df[t]]
	}
	a.sym = make([]symInfo, nsym+1)
	for _, t := range kids[0] {
		a.sym[syms[t]] = symInfo{base: base[t], f1: id[t]}
	}

	owner := make([]int32, size) // trie state of each cell, -1 if free
	for i := range owner {
		owner[i] = -1
	}
	for t := range n {
		owner[id[t]] = int32(t)
	}
	a.outFrom = make([]uint32, size+1)
	for i, t := range owner {
		a.outFrom[i] = uint32(len(a.outs))
		if t >= 0 {
			a.outs = append(a.outs, own[t]...)
		}
	}
	a.outFrom[size] = uint32(len(a.outs))
	return a
}

// edgeTo is a trie edge: the child state on a symbol.
type edgeTo struct{ sym, to uint32 }

// place lays the children of every state into the double array and returns
// each state's base, such that cells base+c are distinct for all states and
// symbols c of their children. The root goes first, at base 0. Then states
// with many children go first (first fit decreasing). A state tries a few
// free cells for its lowest symbol from the start, then more from where the
// last state put at the end left holes, and otherwise goes to the end; later,
// smaller states fill the holes, so the array stays dense and building stays
// near linear. Cell 0 is the root's own and never given out. States without
// children get base 0.
func place(rows [][]edgeTo, nsym uint32) []uint32 {
	const placeTries = 64
	bases := make([]uint32, len(rows))
	order := make([]uint32, 0, len(rows))
	total := 0
	for s, d := range rows {
		if len(d) > 0 && s != 0 {
			order = append(order, uint32(s))
			total += len(d)
		}
	}
	slices.SortStableFunc(order, func(x, y uint32) int { return len(rows[y]) - len(rows[x]) })
	used := make([]bool, 0, 2*total+int(nsym)+1)
	nextFree := make([]int32, 0, cap(used)) // leads to the first free cell >= i
	grow := func(to int) {
		for len(used) < to {
			nextFree = append(nextFree, int32(len(used)))
			used = append(used, false)
		}
	}
	take := func(i uint32) {
		used[i] = true
		nextFree[i] = int32(i + 1)
	}
	free := func(i int) int { // the first free cell >= i, or len(used)
		r := i
		for r < len(used) && int(nextFree[r]) != r {
			r = int(nextFree[r])
		}
		for i < len(used) && int(nextFree[i]) != i { // path compression
			i, nextFree[i] = int(nextFree[i]), int32(r)
		}
		return r
	}
	fits := func(base uint32, d []edgeTo) bool {
		for _, e := range d {
			if i := int(base + e.sym); i < len(used) && used[i] {
				return false
			}
		}
		return true
	}
	// search tries up to tries free cells from pos for the lowest symbol;
	// it returns len(used) if none fits.
	search := func(pos, lo int, d []edgeTo, tries int) int {
		for try := 0; pos < len(used); try++ {
			if fits(uint32(pos-lo), d) {
				return pos
			}
			if try == tries {
				break
			}
			pos = free(pos + 1)
		}
		return len(used)
	}
	grow(int(nsym) + 1)
	take(0)
	for _, e := range rows[0] {
		take(e.sym)
	}
	sparse := 0 // where the last state placed at the end left holes
	for _, s := range order {
		d := rows[s]
		lo := int(d[0].sym)
		pos := search(free(max(1, lo)), lo, d, placeTries)
		if pos == len(used) && sparse < len(used) {
			pos = search(free(max(sparse, lo)), lo, d, 16*placeTries)
		}
		if pos == len(used) {
			sparse = len(used)
			pos = max(pos, lo) // base = pos-lo must not be negative
		}
		base := uint32(pos - lo)
		grow(int(base+d[len(d)-1].sym) + 1)
		for _, e := range d {
			take(base + e.sym)
		}
		bases[s] = base
	}
	return bases
}

// step is the transition from state s, entered on symbol p, on symbol c
// (0 < c).
func (a *automaton) step(s, p, c uint32) uint32 {
	e := &a.cells[s]
	q := a.sym[p]
	t := a.sym[c].f1
	if a.cells[q.base+c].check == q.f1 {
		t = q.base + c
	}
	if a.cells[e.base+c].check == s {
		return e.base + c
	}
	if e.count&hasDeep != 0 {
		return a.deepStep(a.df[s], c, t)
	}
	return t
}

// deepStep looks for a child on c of x and the deeper states on its failure
// chain; t is the answer if none has one.
func (a *automaton) deepStep(x, c, t uint32) uint32 {
	for ; x != 0; x = a.df[x] {
		if i := a.cells[x].base + c; a.cells[i].check == x {
			return i
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
	var prev symInfo // of the symbol st was entered on
	cells, syms, bmp := a.cells, a.sym, a.bmp
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
			st, prev = 0, symInfo{}
			continue
		}
		// a.step, inlined by hand.
		cur := syms[c]
		e := &cells[st]
		i1, i2 := e.base+c, prev.base+c
		t := cur.f1
		if cells[i2].check == prev.f1 {
			t = i2
		}
		hit := cells[i1].check == st
		if hit {
			t = i1
		}
		if e.count&hasDeep != 0 && !hit { // rare: predictable
			t = a.deepStep(a.df[st], c, t)
		}
		st, prev = t, cur
		total += int(cells[st].count & countMask)
	}
	return total
}

// find appends every pattern occurrence in s to dst, in order of end.
func (a *automaton) find(s string, dst []rawMatch) []rawMatch {
	st, p := uint32(0), uint32(0)
	for i := 0; i < len(s); {
		c, w := a.symbol(s, i)
		i += w
		if c == 0 {
			st, p = 0, 0
			continue
		}
		st, p = a.step(st, p, c), c
		if a.cells[st].count&countMask == 0 {
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
