package sim

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"anxin"
)

// small is generated once: several tests read it.
var small = Generate(Config{Seed: 42})

func TestGenerateDeterministic(t *testing.T) {
	again := Generate(Config{Seed: 42})
	if !reflect.DeepEqual(small, again) {
		t.Fatal("Generate(seed 42) twice gave different worlds")
	}
	other := Generate(Config{Seed: 43})
	if reflect.DeepEqual(small.Listings, other.Listings) || reflect.DeepEqual(small.Events, other.Events) {
		t.Fatal("Generate(seed 42) and Generate(seed 43) gave the same world")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want anxin.Kind
	}{
		{Config{}, ""},
		{Config{Scale: Medium, Days: 365}, ""},
		{Config{Scale: "huge"}, anxin.Invalid},
		{Config{Days: -1}, anxin.Invalid},
	} {
		if got := anxin.KindOf(tt.cfg.Validate()); got != tt.want {
			t.Errorf("%+v.Validate() kind = %q; want %q", tt.cfg, got, tt.want)
		}
	}
}

func TestProportions(t *testing.T) {
	w := small
	within := func(name string, got, lo, hi int) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s = %d; want between %d and %d", name, got, lo, hi)
		}
	}
	within("merchants", len(w.Merchants), 200, 200)
	within("listings", len(w.Listings), 1600, 2400)
	within("orders", len(w.Orders), 10000, 10000)
	within("bad merchants", len(w.Truth.BadMerchants), 15, 30)
	within("buyers", len(w.Buyers), 3000, 3000)

	var violating, evasive, lookAlike int
	for _, l := range w.Listings {
		tr := w.Truth.Listings[l.ID]
		if tr.Violation != "" {
			violating++
		}
		if tr.Evasive {
			evasive++
		}
		if tr.LookAlike != "" {
			lookAlike++
			if tr.Violation != "" {
				t.Errorf("listing %s has a look-alike and a violation", l.ID)
			}
		}
	}
	within("violating listings", violating, 100, 400)
	within("evasive listings", evasive, 30, violating)
	within("look-alike listings", lookAlike, 20, 300)
	within("late orders", len(w.Truth.LateOrders), 200, 1000)
	within("lost orders", len(w.Truth.LostOrders), 10, 120)
	within("after-sales", len(w.AfterSales), 500, 2000)
	within("complaints", len(w.Complaints), 200, 2000)
	within("events", len(w.Events), 60000, 120000)

	var split, streamsBad int
	for _, c := range w.Content {
		if w.Truth.Content[c.ID].Split {
			split++
		}
	}
	for _, v := range w.Truth.Streams {
		if v != "" {
			streamsBad++
		}
	}
	within("split segments", split, 2, 100)
	within("violating streams", streamsBad, 5, 60)
	causes := map[string]int{}
	for _, a := range w.Truth.AfterSales {
		causes[a.Cause]++
	}
	for _, c := range []string{"no_reason", "damaged", "allergy", "spoiled", "counterfeit", "lost", "fraud", "cancel_unshipped", "not_shipped"} {
		if causes[c] == 0 {
			t.Errorf("no after-sale with cause %q (have %v)", c, causes)
		}
	}
}

func TestEventsValid(t *testing.T) {
	w := small
	ids := map[string]bool{}
	var prev time.Time
	for i, e := range w.Events {
		cp := *e
		if err := cp.Validate(); err != nil {
			t.Fatalf("event %d (%s %s) invalid: %v", i, e.ID, e.Type, err)
		}
		if ids[e.ID] {
			t.Fatalf("event id %s repeats", e.ID)
		}
		ids[e.ID] = true
		if e.OccurredAt.Before(prev) {
			t.Fatalf("event %d at %v is before its predecessor at %v", i, e.OccurredAt, prev)
		}
		prev = e.OccurredAt
		if e.OccurredAt.Before(w.Period.From) || !e.OccurredAt.Before(w.Period.To) {
			t.Fatalf("event %s at %v is outside %v", e.ID, e.OccurredAt, w.Period)
		}
	}
	for _, batch := range chunk(w.Events, anxin.MaxBatch) {
		cp := make([]*anxin.Event, len(batch))
		for i, e := range batch {
			c := *e
			cp[i] = &c
		}
		if err := anxin.ValidateEvents(cp); err != nil {
			t.Fatalf("ValidateEvents: %v", err)
		}
	}
}

func chunk[T any](xs []T, n int) [][]T {
	var out [][]T
	for len(xs) > n {
		out = append(out, xs[:n])
		xs = xs[n:]
	}
	return append(out, xs)
}

func TestEntitiesValid(t *testing.T) {
	w := small
	validateAll(t, w.Merchants)
	validateAll(t, w.Influencers)
	validateAll(t, w.Buyers)
	validateAll(t, w.Listings)
	validateAll(t, w.Content)
	validateAll(t, w.Orders)
	validateAll(t, w.Shipments)
	validateAll(t, w.AfterSales)
}

// validateAll validates a copy of every item (Validate fills defaults).
func validateAll[T any, P interface {
	*T
	Validate() error
}](t *testing.T, xs []*T) {
	t.Helper()
	for i, x := range xs {
		c := *x
		if err := P(&c).Validate(); err != nil {
			t.Fatalf("%T %d: %v", x, i, err)
		}
	}
}

// TestNoPIIInMirror checks that no buyer's phone or address appears in
// anything but World.PII.
func TestNoPIIInMirror(t *testing.T) {
	w := small
	mirror, _ := json.Marshal(struct {
		M, I, B, L, C, O, S, A, E, X any
	}{w.Merchants, w.Influencers, w.Buyers, w.Listings, w.Content, w.Orders, w.Shipments, w.AfterSales, w.Events, w.Complaints})
	phones := map[string]bool{}
	for _, b := range w.Buyers {
		p := w.PII[b.ID]
		if p.Phone == "" || p.Name == "" || p.Address == "" {
			t.Fatalf("buyer %s has incomplete PII", b.ID)
		}
		phones[p.Phone] = true
	}
	if len(phones) != len(w.Buyers) {
		t.Errorf("%d distinct phones for %d buyers; want one each", len(phones), len(w.Buyers))
	}
	for _, m := range regexp.MustCompile(`\d{11}`).FindAll(mirror, -1) {
		if phones[string(m)] {
			t.Fatal("a buyer's phone number appears in the mirror")
		}
	}
	if bytes.Contains(mirror, []byte("栋")) {
		t.Fatal("a buyer's address appears in the mirror")
	}
}

func TestRingsAndReregistrations(t *testing.T) {
	w := small
	byID := map[string]*anxin.Merchant{}
	for _, m := range w.Merchants {
		byID[m.ID] = m
	}
	rereg := 0
	for id, mt := range w.Truth.BadMerchants {
		m := byID[id]
		if mt.ReregistrationOf != "" {
			rereg++
			old := byID[mt.ReregistrationOf]
			if old.Status != "cleared" {
				t.Errorf("re-registered %s's old shop %s has status %q; want cleared", id, old.ID, old.Status)
			}
			if m.Attributes[mt.SharedAttribute] != old.Attributes[mt.SharedAttribute] {
				t.Errorf("re-registered %s does not share %s with %s", id, mt.SharedAttribute, old.ID)
			}
			if !m.OnboardedAt.After(w.Period.From) {
				t.Errorf("re-registered %s onboarded %v, before the period", id, m.OnboardedAt)
			}
		}
		// Every member shares some value with another member of its ring.
		shares := false
		for _, other := range w.Truth.Rings[mt.Ring] {
			if other == id {
				continue
			}
			for k, v := range m.Attributes {
				if byID[other].Attributes[k] == v {
					shares = true
				}
			}
		}
		if len(w.Truth.Rings[mt.Ring]) > 1 && !shares {
			t.Errorf("ring member %s shares no attribute with its ring %s", id, mt.Ring)
		}
	}
	if rereg == 0 {
		t.Error("no re-registrations planted")
	}
}

func TestEvasion(t *testing.T) {
	g := &gen{r: rand.New(rand.NewPCG(1, 2))}
	tm := term{"高仿", "gao fang"}
	for _, tt := range []struct{ kind, want string }{
		{EvasionFullWidth, "高仿"}, // no ASCII: unchanged
		{EvasionTraditional, "高倣"},
		{EvasionHomoglyph, "髙彷"},
		{EvasionPinyin, "gao fang"},
	} {
		if got := g.evade(tm, tt.kind); got != tt.want {
			t.Errorf("evade(高仿, %s) = %q; want %q", tt.kind, got, tt.want)
		}
	}
	if got := g.evade(term{"A货", "A huo"}, EvasionFullWidth); got != "Ａ货" {
		t.Errorf("evade(A货, fullwidth) = %q; want Ａ货", got)
	}
	if got := g.evade(tm, EvasionSeparator); len([]rune(got)) != 3 {
		t.Errorf("evade(高仿, separator) = %q; want one separator between the characters", got)
	}
}

func BenchmarkGenerateSmall(b *testing.B) {
	for b.Loop() {
		Generate(Config{Seed: 1})
	}
}

func TestFacts(t *testing.T) {
	facts := small.Facts()
	count := map[string]int{}
	seen := map[Fact]bool{}
	for _, f := range facts {
		if f.Kind == "" || f.ID == "" || f.Label == "" {
			t.Fatalf("fact %+v lacks a kind, id or label", f)
		}
		key := Fact{f.Kind, f.ID, f.Label, ""}
		if seen[key] {
			t.Fatalf("fact %+v repeats", f)
		}
		seen[key] = true
		count[f.Kind+"."+f.Label]++
	}
	if count["listing.violation"] != len(small.Listings) || count["content.violation"] != len(small.Content) {
		t.Errorf("violation facts: %d listings of %d, %d content of %d", count["listing.violation"], len(small.Listings), count["content.violation"], len(small.Content))
	}
	if count["order.late"] != len(small.Truth.LateOrders) || count["complaint.topic"] != len(small.Complaints) {
		t.Errorf("late facts %d of %d, topics %d of %d", count["order.late"], len(small.Truth.LateOrders), count["complaint.topic"], len(small.Complaints))
	}
}

func TestNotices(t *testing.T) {
	w := small
	listings := map[string]*anxin.Listing{}
	for _, l := range w.Listings {
		listings[l.ID] = l
	}
	var valid, mistaken, countered int
	for _, n := range w.Notices {
		l := listings[n.ListingID]
		if l == nil || l.MerchantID != n.MerchantID || l.Brand != n.Brand || n.Reason == "" || len(n.Evidence) == 0 {
			t.Fatalf("notice %+v does not match its listing %+v", n, l)
		}
		if n.At.Before(w.Period.From) || !n.At.Before(w.Period.To) {
			t.Errorf("notice %s filed at %v, outside the period", n.ID, n.At)
		}
		if w.Truth.Notices[n.ID] {
			valid++
			if w.Truth.Listings[l.ID].Violation != ViolationCounterfeit {
				t.Errorf("valid notice %s is against a listing that is not counterfeit", n.ID)
			}
		} else {
			mistaken++
		}
		if n.CounterAt != nil {
			countered++
		}
	}
	if valid < 10 || mistaken < 1 || countered < mistaken {
		t.Errorf("notices: %d valid, %d mistaken, %d countered; want some of each, every mistaken one countered", valid, mistaken, countered)
	}
}

func TestQualityTruth(t *testing.T) {
	w := small
	sub := 0
	for _, l := range w.Listings {
		if w.Truth.Listings[l.ID].Substandard != "" {
			sub++
		}
	}
	if sub < 60 || sub > 400 {
		t.Errorf("%d substandard listings of %d; want roughly 6-15 %%", sub, len(w.Listings))
	}
	// Spoilage among delivered fresh orders falls after the campaign.
	fresh := map[string]bool{}
	for _, l := range w.Listings {
		if l.Category == "fresh" {
			fresh[l.ID] = true
		}
	}
	spoiled := map[string]bool{}
	for _, a := range w.AfterSales {
		if w.Truth.AfterSales[a.ID].Cause == "spoiled" {
			spoiled[a.OrderID] = true
		}
	}
	var n, s [3]float64 // before the campaign, after it, on the cold-chain failure days
	for _, o := range w.Orders {
		if o.DeliveredAt == nil || !fresh[o.Items[0].ListingID] {
			continue
		}
		i := 0
		switch {
		case w.Truth.ColdChainFailure.Contains(*o.DeliveredAt):
			i = 2
		case !o.DeliveredAt.Before(w.Truth.FreshCampaignAt):
			i = 1
		}
		n[i]++
		if spoiled[o.ID] {
			s[i]++
		}
	}
	before, after := s[0]/n[0], s[1]/n[1]
	if !(before > 0.08 && after < 0.08) {
		t.Errorf("fresh spoilage before/after the campaign = %.3f/%.3f; want about 0.12/0.05", before, after)
	}
	if f := w.Truth.ColdChainFailure; !f.From.After(w.Period.From) || !f.To.Before(w.Truth.FreshCampaignAt) {
		t.Errorf("cold-chain failure %v–%v; want inside the period's first half", f.From, f.To)
	}
	if n[2] < 10 || s[2]/n[2] < 0.45 {
		t.Errorf("fresh spoilage on the cold-chain failure days = %.0f of %.0f; want about 60 %%", s[2], n[2])
	}
}

func TestSummary(t *testing.T) {
	s := small.Summary()
	for _, want := range []string{"bad merchants in", "violating listings", "late and", "notices"} {
		if !strings.Contains(s, want) {
			t.Errorf("Summary() = %q; want it to mention %q", s, want)
		}
	}
}
