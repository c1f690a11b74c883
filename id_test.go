package anxin_test

import (
	"regexp"
	"sort"
	"testing"
	"time"

	"anxin"
)

var idShape = regexp.MustCompile(`^dec_[a-z2-7]{24}$`)

func TestNewTimeIDShapeAndOrder(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 2000 {
		// Several ids per millisecond, and times far apart.
		at := t0.Add(time.Duration(i/3) * time.Millisecond)
		if i%500 == 0 {
			at = at.Add(time.Duration(i) * 24 * time.Hour)
		}
		ids = append(ids, anxin.NewTimeID("dec", at))
	}
	for _, id := range ids {
		if !idShape.MatchString(id) {
			t.Fatalf("NewTimeID = %q; want the shape of NewID (%s)", id, idShape)
		}
		if old := anxin.NewID("dec"); len(old) != len(id) {
			t.Fatalf("len(NewTimeID) = %d; want len(NewID) = %d", len(id), len(old))
		}
	}
	// Sorted as text, the ids come out in time order (ties in one
	// millisecond in any order).
	at := func(i int) time.Time {
		a := t0.Add(time.Duration(i/3) * time.Millisecond)
		if i%500 == 0 {
			a = a.Add(time.Duration(i) * 24 * time.Hour)
		}
		return a
	}
	idx := make([]int, len(ids))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return ids[idx[a]] < ids[idx[b]] })
	for k := 1; k < len(idx); k++ {
		if at(idx[k]).Before(at(idx[k-1])) {
			t.Fatalf("id %q (%v) sorts after %q (%v)", ids[idx[k]], at(idx[k]), ids[idx[k-1]], at(idx[k-1]))
		}
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("NewTimeID repeated %q", id)
		}
		seen[id] = true
	}
}
