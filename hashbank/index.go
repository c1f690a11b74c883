package hashbank

import (
	"math/bits"
	"slices"
	"sort"
)

// Index256 finds 256-bit hashes within a Hamming distance of a query
// without scanning them all, by multi-index hashing: each hash is cut into
// 16 chunks of 16 bits and filed under each chunk's value in that chunk's
// table. Two hashes within distance d agree to within ⌊d/16⌋ bits on at
// least one chunk (pigeonhole), so a query probes, in each table, every
// chunk value within that radius of its own, and verifies the candidates
// with a full popcount. For d ≤ 31 that is 17 probes per table.
//
// An Index256 is not safe for concurrent Add; concurrent Search calls are
// safe when no Add runs (callers guard it with a sync.RWMutex).
type Index256 struct {
	ids    []int64
	hashes []Hash256
	tables [16][][]int32 // tables[chunk][value] → positions
}

// Match is one search result.
type Match struct {
	ID       int64 `json:"id"`
	Distance int   `json:"distance"`
}

// NewIndex256 returns an empty index.
func NewIndex256() *Index256 {
	x := &Index256{}
	for i := range x.tables {
		x.tables[i] = make([][]int32, 1<<16)
	}
	return x
}

// Len returns the number of hashes indexed.
func (x *Index256) Len() int { return len(x.ids) }

func chunk(h Hash256, i int) uint16 {
	return uint16(h[i/4] >> (48 - 16*uint(i%4)))
}

// Add indexes h under id. The same id may be added more than once (one image
// may have several hashes).
func (x *Index256) Add(id int64, h Hash256) {
	pos := int32(len(x.ids))
	x.ids = append(x.ids, id)
	x.hashes = append(x.hashes, h)
	for i := range 16 {
		c := chunk(h, i)
		x.tables[i][c] = append(x.tables[i][c], pos)
	}
}

// Search returns the indexed hashes within distance maxDist of q, nearest
// first. maxDist is clamped to 0..47 (radius 2 per chunk); PDQ matching uses
// 31, which needs 17 probes per chunk.
func (x *Index256) Search(q Hash256, maxDist int) []Match {
	maxDist = min(max(maxDist, 0), 47)
	radius := maxDist / 16
	// Candidates are verified as they are found; a near hash is found once
	// per chunk it agrees on, so matches are deduplicated by position at the
	// end instead of marking every candidate (which would cost a second
	// random memory access per candidate).
	var found []int32
	visit := func(positions []int32) {
		for _, p := range positions {
			h := &x.hashes[p]
			if bits.OnesCount64(q[0]^h[0])+bits.OnesCount64(q[1]^h[1])+bits.OnesCount64(q[2]^h[2])+bits.OnesCount64(q[3]^h[3]) <= maxDist {
				found = append(found, p)
			}
		}
	}
	for i := range 16 {
		c := chunk(q, i)
		t := x.tables[i]
		visit(t[c])
		if radius >= 1 {
			for b := 0; b < 16; b++ {
				c1 := c ^ 1<<b
				visit(t[c1])
				if radius >= 2 {
					for b2 := b + 1; b2 < 16; b2++ {
						visit(t[c1^1<<b2])
					}
				}
			}
		}
	}
	slices.Sort(found)
	found = slices.Compact(found)
	out := make([]Match, 0, len(found))
	for _, p := range found {
		out = append(out, Match{ID: x.ids[p], Distance: Distance(q, x.hashes[p])})
	}
	sortMatches(out)
	return out
}

// Scan is the linear-scan reference: the same answer as Search, by
// comparing q with every hash. It exists for tests and as the benchmark peer.
func (x *Index256) Scan(q Hash256, maxDist int) []Match {
	var out []Match
	for p, h := range x.hashes {
		if d := Distance(q, h); d <= maxDist {
			out = append(out, Match{ID: x.ids[p], Distance: d})
		}
	}
	sortMatches(out)
	return out
}

func sortMatches(m []Match) {
	sort.Slice(m, func(i, j int) bool {
		if m[i].Distance != m[j].Distance {
			return m[i].Distance < m[j].Distance
		}
		return m[i].ID < m[j].ID
	})
}

// Index64 is multi-index hashing for 64-bit hashes (DHash, PHash): four
// chunks of 16 bits, radius ⌊d/4⌋ per chunk. Use it for d ≤ 11.
type Index64 struct {
	ids    []int64
	hashes []uint64
	tables [4][][]int32
	seen   []uint32
	gen    uint32
}

// NewIndex64 returns an empty index.
func NewIndex64() *Index64 {
	x := &Index64{}
	for i := range x.tables {
		x.tables[i] = make([][]int32, 1<<16)
	}
	return x
}

// Len returns the number of hashes indexed.
func (x *Index64) Len() int { return len(x.ids) }

// Add indexes h under id.
func (x *Index64) Add(id int64, h uint64) {
	pos := int32(len(x.ids))
	x.ids = append(x.ids, id)
	x.hashes = append(x.hashes, h)
	x.seen = append(x.seen, 0)
	for i := range 4 {
		c := uint16(h >> (48 - 16*uint(i)))
		x.tables[i][c] = append(x.tables[i][c], pos)
	}
}

// Search returns hashes within maxDist (clamped to 0..11) of q, nearest first.
func (x *Index64) Search(q uint64, maxDist int) []Match {
	maxDist = min(max(maxDist, 0), 11)
	radius := maxDist / 4
	x.gen++
	if x.gen == 0 {
		clear(x.seen)
		x.gen = 1
	}
	var out []Match
	visit := func(positions []int32) {
		for _, p := range positions {
			if x.seen[p] == x.gen {
				continue
			}
			x.seen[p] = x.gen
			if d := bits.OnesCount64(q ^ x.hashes[p]); d <= maxDist {
				out = append(out, Match{ID: x.ids[p], Distance: d})
			}
		}
	}
	for i := range 4 {
		c := uint16(q >> (48 - 16*uint(i)))
		t := x.tables[i]
		visit(t[c])
		if radius >= 1 {
			for b := 0; b < 16; b++ {
				c1 := c ^ 1<<b
				visit(t[c1])
				if radius >= 2 {
					for b2 := b + 1; b2 < 16; b2++ {
						visit(t[c1^1<<b2])
					}
				}
			}
		}
	}
	sortMatches(out)
	return out
}
