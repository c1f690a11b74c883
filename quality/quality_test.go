package quality

import (
	"testing"
)

// weekly returns days whose rate depends on the weekday: weekends
// (days 5 and 6 of each week) run at 20 % returns, weekdays at 5 %.
func weekly(n int) []Day {
	s := make([]Day, n)
	for i := range s {
		s[i] = Day{Trials: 200, Events: 10}
		if i%7 >= 5 {
			s[i].Events = 40
		}
	}
	return s
}

func TestSeasonalBaselineAvoidsWeekendFalseAlarm(t *testing.T) {
	s := weekly(70)
	sat := 68 // a weekend day
	o := Options{Seasonal: true}
	if v, alert := Check(s[sat], Baseline(s, sat, o), o); alert || v.Base != 0.2 {
		t.Errorf("seasonal check of an ordinary weekend = %+v, alert %v; want the weekend baseline 0.2 and no alert", v, alert)
	}
	// A real spike on a weekday is caught by both.
	s[64].Events = 60 // 30 % on a weekday
	for _, seasonal := range []bool{false, true} {
		o := Options{Seasonal: seasonal}
		if v, ok := Check(s[64], Baseline(s, 64, o), o); !ok {
			t.Errorf("seasonal=%v: a 30 %% weekday is not an alert: %+v", seasonal, v)
		}
	}
}

func TestCheckGuards(t *testing.T) {
	s := weekly(30)
	if _, ok := Check(Day{Trials: 5, Events: 5}, Baseline(s, 29, Options{}), Options{}); ok {
		t.Error("a day with 5 trials raised an alert")
	}
	if _, ok := Check(Day{Trials: 100, Events: 90}, Baseline(s, 1, Options{Seasonal: true}), Options{}); ok {
		t.Error("an alert without enough history")
	}
	if _, ok := Check(Day{Trials: 100, Events: 10}, Base{Rate: 0.8, Days: 5, Trials: 500}, Options{LowIsBad: true}); !ok {
		t.Error("satisfaction falling from 80 % to 10 % is not an alert")
	}
	if b := Baseline(nil, 0, Options{}); b.Trials != 0 || b.Rate != 0 {
		t.Errorf("Baseline(empty) = %+v", b)
	}
}
