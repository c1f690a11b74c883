package lexicon

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestScanSpansMatchBruteForce checks every hit Scan reports, term and byte
// span, against a naive search, on lexicons over an alphabet that mixes
// ASCII, Chinese and a character above the BMP, with patterns sharing
// prefixes and suffixes so that deep failure links, one-character failure
// states and root restarts all occur. The automaton numbers a state by its
// cell in the double array; a wrong cell would show as a missing, extra or
// misplaced hit.
func TestScanSpansMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alpha := []rune("ab高仿货𝐀x") // 'x' is in no pattern below: a restart
	word := func(n int, letters []rune) string {
		var b strings.Builder
		for range n {
			b.WriteRune(letters[rng.IntN(len(letters))])
		}
		return b.String()
	}
	type span struct{ Term, Start, End int }
	for round := range 300 {
		seen := map[string]bool{}
		var pats []string
		for range 1 + rng.IntN(60) {
			p := word(1+rng.IntN(6), alpha[:len(alpha)-1])
			if !seen[p] {
				seen[p] = true
				pats = append(pats, p)
			}
		}
		m, err := CompileRaw(pats)
		if err != nil {
			t.Fatal(err)
		}
		text := word(rng.IntN(120), alpha)
		var want []span
		for i := range len(text) + 1 {
			for id, p := range pats {
				if strings.HasPrefix(text[i:], p) {
					want = append(want, span{id, i, i + len(p)})
				}
			}
		}
		slices.SortFunc(want, func(a, b span) int {
			if a.Start != b.Start {
				return a.Start - b.Start
			}
			if a.End != b.End {
				return b.End - a.End
			}
			return a.Term - b.Term
		})
		var got []span
		for _, h := range m.Scan(Raw(text), "") {
			got = append(got, span{h.Term, h.Start, h.End})
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("round %d: Scan(%q) with %q (-want +got):\n%s", round, text, pats, d)
		}
		if n := m.CountAll([]byte(text)); n != len(want) {
			t.Fatalf("round %d: CountAll(%q) with %q = %d; want %d", round, text, pats, n, len(want))
		}
	}
}

// TestAutomatonCells checks the double array's invariants: the root is
// cell 0, the root's child on symbol c is cell c, and every state's child
// on c is cell base+c with the state as its check.
func TestAutomatonCells(t *testing.T) {
	pats := []string{"高仿", "仿", "仿真", "真花", "a", "ab", "bab", "𝐀b"}
	a := buildAutomaton(pats)
	if a.cells[0].check != noState || a.cells[0].base != 0 {
		t.Fatalf("cell 0 = %+v; want the root (no parent, base 0)", a.cells[0])
	}
	for _, p := range pats {
		st, prev := uint32(0), uint32(0)
		for depth, r := range []rune(p) {
			c, _ := a.symbol(string(r), 0)
			if c == 0 {
				t.Fatalf("%q: %q has no symbol", p, r)
			}
			next := a.cells[st].base + c
			if a.cells[next].check != st {
				t.Fatalf("%q: cell %d (child of %d on %d) has check %d", p, next, st, c, a.cells[next].check)
			}
			if depth == 0 && (next != c || a.sym[c].f1 != c || a.sym[c].base != a.cells[c].base) {
				t.Fatalf("%q: the root's child on %d is cell %d, sym %+v", p, c, next, a.sym[c])
			}
			if got := a.step(st, prev, c); got != next {
				t.Fatalf("%q: step(%d, %d, %d) = %d; want the child %d", p, st, prev, c, got, next)
			}
			st, prev = next, c
		}
		if a.cells[st].count&countMask == 0 {
			t.Fatalf("%q: its final state %d counts no pattern", p, st)
		}
	}
}
