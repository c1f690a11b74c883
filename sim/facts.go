package sim

import (
	"fmt"
	"sort"
	"strconv"
)

// Fact is one ground-truth fact about a subject, flat enough to store in a
// table: Kind is listing, content, stream, merchant, influencer, buyer,
// order, aftersale, complaint or notice.
type Fact struct {
	Kind, ID, Label, Value string
}

// Facts flattens Truth (and the complaint topics) into facts, in a fixed
// order. Every listing and content item gets a violation fact, "" when
// clean, so precision and recall can be computed; other facts are listed
// only where they hold.
func (w *World) Facts() []Fact {
	var out []Fact
	add := func(kind, id, label, value string) { out = append(out, Fact{kind, id, label, value}) }
	b := strconv.FormatBool
	for _, l := range w.Listings {
		t := w.Truth.Listings[l.ID]
		add("listing", l.ID, "violation", t.Violation)
		if t.Evasive {
			add("listing", l.ID, "evasion", t.Evasion)
		}
		if t.Term != "" {
			add("listing", l.ID, "term", t.Term)
		}
		if t.LookAlike != "" {
			add("listing", l.ID, "look_alike", t.LookAlike)
		}
		if t.Substandard != "" {
			add("listing", l.ID, "substandard", t.Substandard)
		}
	}
	for _, c := range w.Content {
		t := w.Truth.Content[c.ID]
		add("content", c.ID, "violation", t.Violation)
		if t.Evasive {
			add("content", c.ID, "evasion", t.Evasion)
		}
		if t.Split {
			add("content", c.ID, "split", b(true))
		}
	}
	for _, id := range sortedKeys(w.Truth.Streams) {
		add("stream", id, "violation", w.Truth.Streams[id])
	}
	for _, id := range sortedKeys(w.Truth.BadMerchants) {
		t := w.Truth.BadMerchants[id]
		add("merchant", id, "ring", t.Ring)
		if t.ReregistrationOf != "" {
			add("merchant", id, "reregistration_of", t.ReregistrationOf)
		}
	}
	for _, id := range sortedKeys(w.Truth.BadInfluencers) {
		add("influencer", id, "bad", b(true))
	}
	for _, id := range sortedKeys(w.Truth.FraudulentBuyers) {
		add("buyer", id, "fraudulent", b(true))
	}
	for _, id := range sortedKeys(w.Truth.LateOrders) {
		add("order", id, "late", b(true))
	}
	for _, id := range sortedKeys(w.Truth.LostOrders) {
		add("order", id, "lost", b(true))
	}
	for _, id := range sortedKeys(w.Truth.AfterSales) {
		t := w.Truth.AfterSales[id]
		add("aftersale", id, "cause", t.Cause)
		if t.Fraudulent {
			add("aftersale", id, "fraudulent", b(true))
		}
	}
	for _, c := range w.Complaints {
		add("complaint", c.ID, "topic", c.Topic)
	}
	for _, n := range w.Notices {
		add("notice", n.ID, "valid", b(w.Truth.Notices[n.ID]))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Summary describes what the World plants, in one line for a terminal:
// "20 bad merchants in 6 rings (3 re-registered), 240 violating listings
// (110 evasive), …".
func (w *World) Summary() string {
	rereg := 0
	for _, m := range w.Truth.BadMerchants {
		if m.ReregistrationOf != "" {
			rereg++
		}
	}
	var violating, evasive, content, fraudClaims int
	for _, t := range w.Truth.Listings {
		if t.Violation != "" {
			violating++
			if t.Evasive {
				evasive++
			}
		}
	}
	for _, t := range w.Truth.Content {
		if t.Violation != "" {
			content++
		}
	}
	for _, t := range w.Truth.AfterSales {
		if t.Fraudulent {
			fraudClaims++
		}
	}
	return fmt.Sprintf("%d bad merchants in %d rings (%d re-registered), %d violating listings (%d evasive), "+
		"%d violating content items, %d late and %d lost orders, %d fraudulent claims, %d notices",
		len(w.Truth.BadMerchants), len(w.Truth.Rings), rereg, violating, evasive, content,
		len(w.Truth.LateOrders), len(w.Truth.LostOrders), fraudClaims, len(w.Notices))
}
