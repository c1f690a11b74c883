package sim

import (
	"reflect"
	"testing"
	"time"

	"anxin"
)

func TestPriorHistory(t *testing.T) {
	w := Generate(Config{Seed: 7})
	hs := PriorHistory(w)
	if !reflect.DeepEqual(hs, PriorHistory(Generate(Config{Seed: 7}))) {
		t.Fatal("PriorHistory differs for the same seed")
	}
	today := w.Period.From.In(anxin.MarketplaceTZ).Format(time.DateOnly)
	if len(hs) != 2 {
		t.Fatalf("%d series; want fresh return and damage rates", len(hs))
	}
	for _, h := range hs {
		if err := h.Validate(today); err != nil {
			t.Fatalf("%s: %v", h.Metric, err)
		}
		if len(h.Days) != PriorDays || h.Days[len(h.Days)-1].Day >= today {
			t.Fatalf("%s: %d days, last %s; want %d days before %s", h.Metric, len(h.Days), h.Days[len(h.Days)-1].Day, PriorDays, today)
		}
		// Weekends spoil more than weekdays; pooled over the year.
		var we, wd [2]int64
		for _, d := range h.Days {
			day, _ := time.Parse(time.DateOnly, d.Day)
			p := &wd
			if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
				p = &we
			}
			p[0] += d.Trials
			p[1] += d.Events
		}
		if weRate, wdRate := float64(we[1])/float64(we[0]), float64(wd[1])/float64(wd[0]); weRate <= wdRate {
			t.Errorf("%s: weekend rate %.3f not above weekday %.3f", h.Metric, weRate, wdRate)
		}
		if we[0]*5 <= wd[0]*2 {
			t.Errorf("%s: weekend volume %d not above weekday volume %d per day", h.Metric, we[0]/2, wd[0]/5)
		}
	}
	ret, dmg := hs[0], hs[1]
	for i := range ret.Days {
		if ret.Days[i].Day != dmg.Days[i].Day || ret.Days[i].Trials != dmg.Days[i].Trials || dmg.Days[i].Events > ret.Days[i].Events {
			t.Fatalf("day %s: return %+v, damage %+v; want the same orders with damage a subset of returns", ret.Days[i].Day, ret.Days[i], dmg.Days[i])
		}
	}
	if summer(time.Date(2025, 7, 25, 0, 0, 0, 0, time.UTC)) <= summer(time.Date(2025, 1, 25, 0, 0, 0, 0, time.UTC)) {
		t.Error("summer spoilage factor not above winter")
	}
}
