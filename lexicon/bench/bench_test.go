package bench

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	cloudflare "github.com/cloudflare/ahocorasick"
	coregx "github.com/coregx/ahocorasick"
	petar "github.com/petar-dambovaliev/aho-corasick"

	"anxin/lexicon"
)

// basePeers are the matchers measured in one run; allPeers adds Hyperscan
// under the hyperscan build tag. The first is lexicon, whose count the
// others must reproduce.
var basePeers = []Peer{
	{Name: "lexicon", Build: func(pats []string) func([]byte) int {
		m, err := lexicon.CompileRaw(pats)
		if err != nil {
			panic(err)
		}
		return m.CountAll
	}},
	{Name: "coregx", Build: func(pats []string) func([]byte) int {
		a, err := coregx.NewBuilder().AddStrings(pats).Build()
		if err != nil {
			panic(err)
		}
		return func(b []byte) int { return len(a.FindAllOverlapping(b)) }
	}},
	{Name: "petar", Build: func(pats []string) func([]byte) int {
		bl := petar.NewAhoCorasickBuilder(petar.Opts{MatchKind: petar.StandardMatch, DFA: true})
		ac := bl.Build(pats)
		return func(b []byte) int {
			n := 0
			it := ac.IterOverlappingByte(b)
			for it.Next() != nil {
				n++
			}
			return n
		}
	}},
	{Name: "cloudflare", Distinct: true, Build: func(pats []string) func([]byte) int {
		m := cloudflare.NewStringMatcher(pats)
		return func(b []byte) int { return len(m.Match(b)) }
	}},
}

// allPeers is basePeers plus the peers registered by tagged files (their
// init functions run after package variables are set, hence a function).
func allPeers() []Peer { return append(slices.Clip(basePeers), Extra...) }

type size struct{ terms, text int }

var sizes = []size{{10000, 1 << 20}, {100000, 1 << 20}}

var (
	corpora   = map[size]Corpus{}
	corporaMu sync.Mutex
)

func corpus(s size) Corpus {
	corporaMu.Lock()
	defer corporaMu.Unlock()
	c, ok := corpora[s]
	if !ok {
		c = Generate(1, s.terms, s.text)
		corpora[s] = c
	}
	return c
}

// distinctCount is the number of distinct patterns that occur in text.
func distinctCount(pats []string, text []byte) int {
	m, err := lexicon.CompileRaw(pats)
	if err != nil {
		panic(err)
	}
	seen := map[int]bool{}
	for i := 0; i < len(text); i += lexicon.MaxTextBytes - 1024 {
		// Overlapping windows of MaxTextBytes: patterns are shorter than
		// the 1 KiB overlap, so none is missed.
		for _, h := range m.Scan(lexicon.Raw(string(text[i:min(len(text), i+lexicon.MaxTextBytes)])), "") {
			seen[h.Term] = true
		}
	}
	return len(seen)
}

// TestCountsAgree checks that every peer counts what lexicon counts, so the
// benchmark compares the same work.
func TestCountsAgree(t *testing.T) {
	for _, s := range sizes[:1] {
		c := corpus(s)
		peers := allPeers()
		want := peers[0].Build(c.Dict)(c.Text)
		wantDistinct := distinctCount(c.Dict, c.Text)
		t.Logf("%d terms, %d bytes: %d occurrences (one per %.0f bytes), %d distinct patterns", len(c.Dict), len(c.Text), want, float64(len(c.Text))/float64(want), wantDistinct)
		for _, p := range peers[1:] {
			got := p.Build(c.Dict)(c.Text)
			w := want
			if p.Distinct {
				w = wantDistinct
			}
			if got != w {
				t.Errorf("%s counts %d; lexicon counts %d", p.Name, got, w)
			} else {
				t.Logf("%s agrees: %d", p.Name, got)
			}
		}
	}
}

// BenchmarkScan measures every peer on the same corpus in one run; MB/s is
// the figure to compare.
func BenchmarkScan(b *testing.B) {
	for _, s := range sizes {
		c := corpus(s)
		peers := allPeers()
		want := peers[0].Build(c.Dict)(c.Text)
		wantDistinct := distinctCount(c.Dict, c.Text)
		for _, p := range peers {
			b.Run(fmt.Sprintf("terms=%d/%s", s.terms, p.Name), func(b *testing.B) {
				count := p.Build(c.Dict)
				w := want
				if p.Distinct {
					w = wantDistinct
				}
				if got := count(c.Text); got != w {
					b.Fatalf("%s counts %d; want %d", p.Name, got, w)
				}
				b.SetBytes(int64(len(c.Text)))
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				cpu0 := threadCPU()
				n := 0
				for b.Loop() {
					count(c.Text)
					n++
				}
				// The machine may be shared: CPU time of this thread is a
				// steadier measure than wall time (GC on other threads is
				// left out, which favours the peers that allocate).
				if d := threadCPU() - cpu0; d > 0 {
					b.ReportMetric(float64(n*len(c.Text))/1e6/d.Seconds(), "cpuMB/s")
				}
			})
		}
	}
}

// threadCPU returns the CPU time the calling OS thread has used.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}
