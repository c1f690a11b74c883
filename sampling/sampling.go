// Package sampling is the quality-sampling engine: the risk weight of a
// listing, a seeded, reproducible, streaming draw that picks each
// category's quota by weighted reservoir sampling (A-ES) while keeping a
// share of purely random picks, and the Wilson interval used to report
// pass rates from the random share. It does no I/O.
//
//	d := sampling.NewDraw(map[string]int{"fresh": 20}, 1000, seed)
//	for c := range candidates { d.Offer(c) } // any order, one pass
//	picks := d.Picks()
package sampling

import (
	"container/heap"
	"math"
	"sort"
)

// Features are what make a listing risky.
type Features struct {
	CategoryTier  int     // 1 (low) … 3 (high risk)
	NewMerchant   bool    // onboarded in the last 90 days
	ComplaintRate float64 // merchant's tickets ÷ orders, last 90 days
	ReturnRate    float64 // merchant's returns ÷ orders, last 90 days
	SalesSpike    float64 // recent ÷ usual order rate (1 = normal)
	PriorFails    int     // earlier failed samples of the merchant
}

// Weight returns the risk weight of a listing: 1 for an unremarkable one,
// multiplied up by each factor. It is always positive and finite.
func Weight(f Features) float64 {
	w := 1.0
	switch {
	case f.CategoryTier >= 3:
		w *= 3
	case f.CategoryTier == 2:
		w *= 1.8
	}
	if f.NewMerchant {
		w *= 2
	}
	w *= 1 + 10*clamp(f.ComplaintRate, 0, 1)
	w *= 1 + 5*clamp(f.ReturnRate, 0, 1)
	if f.SalesSpike > 2 {
		w *= math.Min(f.SalesSpike/2, 4)
	}
	w *= 1 + 2*float64(min(max(f.PriorFails, 0), 5))
	return w
}

func clamp(v, lo, hi float64) float64 {
	if v != v || v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// Candidate is a live listing offered to a draw.
type Candidate struct {
	ListingID  string
	MerchantID string
	Category   string
	ProductKey string
	Features   Features
}

// Strata of a pick.
const (
	StratumRisk   = "risk"   // chosen with probability growing with its weight
	StratumRandom = "random" // chosen uniformly: unbiased pass-rate estimates
)

// Pick is a listing chosen by a draw.
type Pick struct {
	Candidate
	Stratum string
	Weight  float64
}

// item is a reservoir entry; key is log(u)/w (A-ES in log space: larger
// is better).
type item struct {
	key float64
	c   Candidate
	w   float64
}

type minHeap []item

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return h[i].key < h[j].key }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(item)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// reservoir keeps the k items with the largest keys.
type reservoir struct {
	k int
	h minHeap
}

func (r *reservoir) offer(it item) {
	if r.k <= 0 {
		return
	}
	if len(r.h) < r.k {
		heap.Push(&r.h, it)
		return
	}
	if it.key > r.h[0].key {
		r.h[0] = it
		heap.Fix(&r.h, 0)
	}
}

type stratum struct {
	quota, random int
	risk, uni     reservoir
	seen          int
}

// Draw is one streaming draw. It is not safe for concurrent use.
type Draw struct {
	seed uint64
	cats map[string]*stratum
}

// NewDraw prepares a draw of quotas[category] listings per category, of
// which randomShareBP/10000 (rounded, at least one when the share is not
// zero) are uniform picks and the rest risk-weighted. The seed makes the
// draw reproducible: each listing's random keys derive from the seed and
// its id only, so the same seed and listings give the same picks in any
// order.
func NewDraw(quotas map[string]int, randomShareBP int, seed uint64) *Draw {
	d := &Draw{seed: seed, cats: map[string]*stratum{}}
	for c, q := range quotas {
		r := (q*randomShareBP + 5000) / 10000
		if randomShareBP > 0 && r == 0 && q > 0 {
			r = 1
		}
		r = min(r, q)
		// The risk reservoir keeps quota picks, so it still has
		// quota-random after dropping listings the uniform pick took.
		d.cats[c] = &stratum{quota: q, random: r, risk: reservoir{k: q}, uni: reservoir{k: r}}
	}
	return d
}

// idHash is FNV-1a of a listing id.
func idHash(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}

// uniform returns a reproducible number in (0, 1) for a listing's hash and
// a salt.
func (d *Draw) uniform(h, salt uint64) float64 {
	x := h ^ d.seed ^ salt
	// splitmix64 finaliser
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return (float64(x>>11) + 0.5) / (1 << 53)
}

// Offer considers one candidate; candidates of categories without a quota
// are ignored.
func (d *Draw) Offer(c Candidate) {
	s := d.cats[c.Category]
	if s == nil {
		return
	}
	s.seen++
	w := Weight(c.Features)
	h := idHash(c.ListingID)
	s.risk.offer(item{key: math.Log(d.uniform(h, 0)) / w, c: c, w: w})
	s.uni.offer(item{key: math.Log(d.uniform(h, 0x5bd1e995)), c: c, w: w})
}

// Seen returns how many candidates of category were offered.
func (d *Draw) Seen(category string) int {
	if s := d.cats[category]; s != nil {
		return s.seen
	}
	return 0
}

// Picks returns the chosen listings, by category then stratum then listing
// id. A category with fewer candidates than its quota yields them all.
func (d *Draw) Picks() []Pick {
	var out []Pick
	for _, s := range d.cats {
		taken := map[string]bool{}
		for _, it := range s.uni.h {
			taken[it.c.ListingID] = true
			out = append(out, Pick{Candidate: it.c, Stratum: StratumRandom, Weight: it.w})
		}
		risk := append(minHeap(nil), s.risk.h...)
		sort.Slice(risk, func(i, j int) bool { return risk[i].key > risk[j].key })
		n := 0
		for _, it := range risk {
			if n >= s.quota-len(s.uni.h) {
				break
			}
			if taken[it.c.ListingID] {
				continue
			}
			out = append(out, Pick{Candidate: it.c, Stratum: StratumRisk, Weight: it.w})
			n++
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Category != b.Category {
			return a.Category < b.Category
		}
		if a.Stratum != b.Stratum {
			return a.Stratum < b.Stratum
		}
		return a.ListingID < b.ListingID
	})
	return out
}

// Wilson returns the Wilson score interval at 95 % for passed out of n.
// For n = 0 it returns the uninformative [0, 1].
func Wilson(passed, n int) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	const z = 1.959963984540054
	p := float64(passed) / float64(n)
	nf := float64(n)
	den := 1 + z*z/nf
	centre := (p + z*z/(2*nf)) / den
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / den
	return math.Max(0, centre-half), math.Min(1, centre+half)
}
