package graph

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func m(id string) Node { return Node{Kind: "merchant", ID: id} }

func TestLinksAndClusters(t *testing.T) {
	g := New()
	g.AddAttribute(m("a"), "bank_account", "h1")
	g.AddAttribute(m("b"), "bank_account", "h1")
	g.AddAttribute(m("b"), "device", "d1")
	g.AddAttribute(m("c"), "device", "d1")
	g.AddAttribute(m("x"), "phone", "p9")
	if got := g.ClusterSize(m("a")); got != 3 {
		t.Fatalf("ClusterSize(a) = %d; want 3 (a–b by bank, b–c by device)", got)
	}
	if got := g.ClusterSize(m("x")); got != 1 {
		t.Fatalf("ClusterSize(x) = %d; want 1", got)
	}
	c := g.Cluster(m("c"))
	if len(c.Members) != 3 || len(c.Links) != 2 {
		t.Fatalf("Cluster(c) = %d members, %d links; want 3, 2", len(c.Members), len(c.Links))
	}
	if c.Links[0].Type != "bank_account" || c.Links[1].Type != "device" {
		t.Errorf("links = %+v; want bank_account then device evidence", c.Links)
	}
	// adding the same attribute twice changes nothing
	g.AddAttribute(m("a"), "bank_account", "h1")
	if got := len(g.Cluster(m("a")).Links); got != 2 {
		t.Errorf("links after duplicate attribute = %d; want 2", got)
	}
	// empty values never link
	g.AddAttribute(m("x"), "phone", "")
	g.AddAttribute(m("a"), "phone", "")
	if g.ClusterSize(m("x")) != 1 {
		t.Error("empty attribute values linked entities")
	}
	if got := g.Cluster(m("nobody")); len(got.Members) != 1 || len(got.Links) != 0 {
		t.Errorf("Cluster(unknown) = %+v; want itself alone", got)
	}
}

func TestReregistrationInheritsRisk(t *testing.T) {
	g := New()
	g.AddAttribute(m("old"), "legal_entity", "le1")
	g.AddAttribute(m("old"), "payout_account", "pa1")
	g.SetRisk(m("old"), 1, "cleared out for counterfeits")
	// the new shop registers with a new legal entity but the old payout account
	g.AddAttribute(m("new"), "legal_entity", "le2")
	g.AddAttribute(m("new"), "payout_account", "pa1")
	// an influencer shares only an IP with the new shop
	g.AddAttribute(Node{"influencer", "i1"}, "ip", "1.2.3.4")
	g.AddAttribute(m("new"), "ip", "1.2.3.4")

	r := g.Risk(m("new"))
	if r.Risk != 0.9 || r.RiskFrom == nil || *r.RiskFrom != m("old") {
		t.Fatalf("Risk(new) = %+v; want 0.9 from old", r)
	}
	if len(r.Path) != 1 || r.Path[0].Type != "payout_account" {
		t.Errorf("Risk(new).Path = %+v; want the shared payout account", r.Path)
	}
	ri := g.Risk(Node{"influencer", "i1"})
	if want := 0.9 * 0.3; ri.Risk < want-1e-9 || ri.Risk > want+1e-9 || len(ri.Path) != 2 {
		t.Errorf("Risk(influencer) = %v via %d links; want %v via 2", ri.Risk, len(ri.Path), want)
	}
	if c := g.Cluster(m("new")); c.Risk != 1 {
		t.Errorf("cluster risk = %v; want 1", c.Risk)
	}
}

func TestHubValuesStopLinking(t *testing.T) {
	g := New()
	g.HubCap = 5
	// a courier depot address shared by many unrelated shops
	for i := range 5 {
		g.AddAttribute(m(fmt.Sprint("s", i)), "address", "depot")
	}
	if g.ClusterSize(m("s0")) != 5 {
		t.Fatalf("below the cap the value links")
	}
	g.AddAttribute(m("s0"), "bank_account", "real-link")
	g.AddAttribute(m("s1"), "bank_account", "real-link")
	if became := g.AddAttribute(m("s5"), "address", "depot"); !became {
		t.Fatal("the sixth holder did not make the value a hub")
	}
	if got := g.ClusterSize(m("s2")); got != 1 {
		t.Errorf("ClusterSize(s2) after hub = %d; want 1", got)
	}
	if got := g.ClusterSize(m("s0")); got != 2 {
		t.Errorf("ClusterSize(s0) after hub = %d; want 2 (the bank link survives the rebuild)", got)
	}
	if hubs := g.Hubs(); len(hubs) != 1 || hubs[0].Value != "depot" || hubs[0].Holders != 6 {
		t.Errorf("Hubs() = %+v", hubs)
	}
	// further holders of the hub neither link nor rebuild again
	if g.AddAttribute(m("s6"), "address", "depot") {
		t.Error("a hub became a hub twice")
	}
}

// BenchmarkLinkMillion links 1,000,000 entities holding 5,000,000
// attributes (the budget is 30 s) and then times cluster queries.
// Run it alone: go test -run XXX -bench LinkMillion -benchtime 1x ./graph/
func BenchmarkLinkMillion(b *testing.B) {
	for b.Loop() {
		g, dur := buildLarge(1_000_000)
		b.ReportMetric(dur.Seconds(), "link_s")
		start := time.Now()
		for i := range 1000 {
			g.Cluster(m(fmt.Sprint("m", i*997)))
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "cluster_us")
	}
}

// TestLinkMany checks the bulk path's result on a smaller graph: rings stay
// separate, and every entity is in a cluster of at most five.
func TestLinkMany(t *testing.T) {
	g, _ := buildLarge(50_000)
	if g.Len() != 50_000 {
		t.Fatalf("Len = %d; want 50000", g.Len())
	}
	for i := 0; i < 50_000; i += 97 {
		if n := g.ClusterSize(m(fmt.Sprint("m", i))); n < 1 || n > 5 {
			t.Fatalf("ClusterSize(m%d) = %d; want 1..5 (rings of at most five)", i, n)
		}
	}
}

// buildLarge creates n merchants with 5 attributes each. Merchants come in
// rings of one to five shops; one attribute in ten is shared with another
// shop of the same ring, the rest are unique — the shape of a marketplace
// where most shops stand alone and bad actors run small rings.
func buildLarge(n int) (*Graph, time.Duration) {
	r := rand.New(rand.NewPCG(1, 1))
	types := []string{"legal_entity", "phone", "bank_account", "device", "ip"}
	names := make([]Node, n)
	for i := range names {
		names[i] = m(fmt.Sprint("m", i))
	}
	vals := make([][]string, len(types))
	for i := range vals {
		vals[i] = make([]string, n)
		for j := range vals[i] {
			vals[i][j] = fmt.Sprintf("%s%x", types[i][:2], r.Uint64())
		}
	}
	ringStart := make([]int, n)
	for i := 0; i < n; {
		size := 1 + r.IntN(5)
		for j := i; j < min(n, i+size); j++ {
			ringStart[j] = i
		}
		i += size
	}
	start := time.Now()
	g := NewSized(n, 5*n)
	for i := range n {
		for t, typ := range types {
			v := i
			if r.IntN(10) == 0 && i > ringStart[i] {
				v = ringStart[i] + r.IntN(i-ringStart[i])
			}
			g.AddAttribute(names[i], typ, vals[t][v])
		}
	}
	return g, time.Since(start)
}

func BenchmarkCluster(b *testing.B) {
	g, _ := buildLarge(200_000)
	i := 0
	for b.Loop() {
		g.Cluster(m(fmt.Sprint("m", (i*7919)%200_000)))
		i++
	}
}
