package quality

import (
	"math"
	"strings"
	"testing"

	"anxin"
)

// weekly returns n days whose rate depends on the weekday: weekends (days
// 5 and 6 of each week) run at 20 % returns, weekdays at 5 %.
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

// withGap returns weekly(n) with days [from, to) emptied (no trials).
func withGap(n, from, to int) []Day {
	s := weekly(n)
	for i := from; i < to; i++ {
		s[i] = Day{}
	}
	return s
}

func TestBaselineKind(t *testing.T) {
	year := YearDays + 7*SeasonalWeeks + 70 // enough for the whole seasonal window
	tests := []struct {
		name     string
		series   []Day
		i        int
		o        Options
		wantKind Kind
		wantRate float64
		wantDays int
	}{
		// A weekend day a year on: the seasonal window holds five
		// weekends at 20 %.
		{"seasonal present", weekly(year), year - 2, Options{Seasonal: true}, Seasonal, 0.2, 5},
		// Only 70 days of history: the year-earlier window is empty, so
		// the baseline is trailing (eight weeks of all days: 2 of 7 at
		// 20 %, 5 of 7 at 5 %).
		{"seasonal absent, falls back to trailing", weekly(70), 68, Options{Seasonal: true}, Trailing, (2*0.2 + 5*0.05) / 7, 56},
		// Two of the five year-earlier days exist: fewer than MinRefDays,
		// so trailing.
		{"seasonal too thin", withGap(year, 0, year-2-YearDays+1), year - 2, Options{Seasonal: true}, Trailing, (2*0.2 + 5*0.05) / 7, 56},
		{"trailing asked for", weekly(year), year - 2, Options{}, Trailing, (2*0.2 + 5*0.05) / 7, 56},
		{"trailing, short history", weekly(10), 9, Options{}, Trailing, 0, 9},
		{"nothing before day 1", weekly(10), 1, Options{Seasonal: true}, None, 0, 0},
		{"trailing window empty of trials", withGap(30, 0, 29), 29, Options{Weeks: 2}, None, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Baseline(tt.series, tt.i, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if b.Kind != tt.wantKind || b.Days != tt.wantDays {
				t.Fatalf("Baseline(%d) = kind %s over %d days; want %s over %d", tt.i, b.Kind, b.Days, tt.wantKind, tt.wantDays)
			}
			if tt.wantRate != 0 && math.Abs(b.Rate-tt.wantRate) > 1e-9 {
				t.Errorf("Baseline(%d).Rate = %.4f; want %.4f", tt.i, b.Rate, tt.wantRate)
			}
			want := string(b.Kind)
			if b.Kind == None {
				want = "no baseline"
			}
			if !strings.HasPrefix(Label(b.Kind, tt.o), want) {
				t.Errorf("Label(%s) = %q; want it to start with %q", b.Kind, Label(b.Kind, tt.o), want)
			}
		})
	}
}

func TestSeasonalAvoidsWeekendFalseAlarm(t *testing.T) {
	n := YearDays + 7*SeasonalWeeks + 70
	s := weekly(n)
	sat := n - 2 // a weekend day
	o := Options{Seasonal: true}
	b, err := Baseline(s, sat, o)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Check(s[sat], b, o)
	if err != nil || v.Alert || v.Kind != Seasonal || v.Base != 0.2 || !v.Judged {
		t.Fatalf("Check(ordinary weekend) = %+v, %v; want the seasonal weekend baseline 0.2, judged, no alert", v, err)
	}
}

func TestSpikeDetection(t *testing.T) {
	n := YearDays + 7*SeasonalWeeks + 70
	tests := []struct {
		name      string
		day       Day
		o         Options
		wantAlert bool
	}{
		{"weekday spike, seasonal", Day{200, 60}, Options{Seasonal: true}, true},
		{"weekday spike, trailing", Day{200, 60}, Options{}, true},
		{"ordinary weekday", Day{200, 11}, Options{Seasonal: true}, false},
		{"spike on too few trials", Day{10, 5}, Options{Seasonal: true}, false},
		// Satisfaction: 90 % throughout.
		{"satisfaction fall", Day{200, 100}, Options{Seasonal: true, LowIsBad: true}, true},
		{"a rise is no alert when low is bad", Day{200, 199}, Options{Seasonal: true, LowIsBad: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := weekly(n)
			if tt.o.LowIsBad {
				for j := range s {
					s[j] = Day{200, 180}
				}
			}
			i := n - 4 // a weekday
			s[i] = tt.day
			b, err := Baseline(s, i, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			v, err := Check(s[i], b, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if v.Alert != tt.wantAlert {
				t.Errorf("Check(%d of %d) = %+v; want alert %v", tt.day.Events, tt.day.Trials, v, tt.wantAlert)
			}
			if v.Alert && (v.Value >= v.Lower && v.Value <= v.Upper) {
				t.Errorf("alert inside its own range: %+v", v)
			}
		})
	}
}

func TestTinySamplesRange(t *testing.T) {
	// Three weeks of 30 orders a day and not one return: the old range
	// was 0.0 %–0.0 %; the Wilson-adjusted floor gives a real width.
	s := make([]Day, 22)
	for i := range s {
		s[i] = Day{Trials: 30}
	}
	o := Options{Weeks: 3, MinTrials: 20}
	b, err := Baseline(s, 21, o)
	if err != nil || b.Kind != Trailing || b.Rate != 0 || b.Spread != 0 {
		t.Fatalf("Baseline = %+v, %v; want a trailing 0 %% baseline with no spread", b, err)
	}
	lo, hi, ok := Range(b, 30, o)
	if !ok || lo != 0 || hi <= 0.01 || hi >= 0.2 {
		t.Fatalf("Range(no events) = %.4f–%.4f, %v; want 0 to a positive upper bound between 1 %% and 20 %%", lo, hi, ok)
	}
	// One return in 30 stays inside; ten is a spike.
	for _, tt := range []struct {
		events int64
		want   bool
	}{{0, false}, {1, false}, {10, true}} {
		v, err := Check(Day{30, tt.events}, b, o)
		if err != nil || v.Alert != tt.want {
			t.Errorf("Check(%d of 30) = %+v, %v; want alert %v", tt.events, v, err, tt.want)
		}
	}
	// The floor narrows as the samples grow.
	big := b
	big.Trials = 30000
	_, hiBig, _ := Range(big, 3000, o)
	if hiBig >= hi {
		t.Errorf("upper bound with 1000× the trials = %.5f; want below %.5f", hiBig, hi)
	}
	// Without a baseline there is no range at all, and no judgement.
	v, err := Check(Day{30, 30}, Base{Kind: None}, o)
	if err != nil || v.Alert || v.Judged || v.Lower != 0 || v.Upper != 0 || v.Kind != None {
		t.Errorf("Check without a baseline = %+v, %v", v, err)
	}
}

func TestBadInput(t *testing.T) {
	good := weekly(30)
	neg := weekly(30)
	neg[3] = Day{Trials: 10, Events: -1}
	over := weekly(30)
	over[4] = Day{Trials: 10, Events: 11}
	tests := []struct {
		name    string
		run     func() error
		wantMsg string
	}{
		{"negative count", func() error { _, err := Baseline(neg, 20, Options{}); return err }, "Day 3 has a negative count"},
		{"events above trials", func() error { _, err := Baseline(over, 20, Options{}); return err }, "Day 4 has more events than trials"},
		{"day outside the series", func() error { _, err := Baseline(good, 30, Options{}); return err }, "outside the series"},
		{"negative day checked", func() error { _, err := Check(Day{-5, 0}, Base{}, Options{}); return err }, "negative count"},
		{"windows out of order", func() error {
			_, err := BaselineFrom(good, 20, Trailing, []Window{{10, 15}, {2, 8}})
			return err
		}, "oldest first"},
		{"overlapping windows", func() error {
			_, err := BaselineFrom(good, 20, Trailing, []Window{{2, 10}, {8, 12}})
			return err
		}, "oldest first"},
		{"window backwards", func() error { _, err := BaselineFrom(good, 20, Seasonal, []Window{{9, 3}}); return err }, "runs backwards"},
		{"window reaching the judged day", func() error {
			_, err := BaselineFrom(good, 20, Trailing, []Window{{10, 21}})
			return err
		}, "not inside the days before day 20"},
		{"window before the series", func() error { _, err := BaselineFrom(good, 20, Trailing, []Window{{-7, 2}}); return err }, "not inside"},
		{"unknown kind", func() error { _, err := BaselineFrom(good, 20, "weekly", []Window{{1, 2}}); return err }, "neither seasonal nor trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if anxin.KindOf(err) != anxin.Invalid || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error = %v; want Invalid containing %q", err, tt.wantMsg)
			}
		})
	}
	// Explicit windows in order work, and match the trailing baseline.
	b, err := BaselineFrom(good, 20, Trailing, []Window{{6, 20}})
	want, _ := Baseline(good, 20, Options{Weeks: 2})
	if err != nil || b != want {
		t.Errorf("BaselineFrom(two weeks) = %+v, %v; want %+v", b, err, want)
	}
}
