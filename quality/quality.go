// Package quality is the category quality-watch engine: daily rate series,
// their baselines and the test that flags a day outside its normal range.
// It does no I/O.
//
// A baseline is one of two kinds, and says which:
//
//   - seasonal: the same weekday in the weeks around 52 weeks (364 days)
//     before the judged day, used when the monitor asks for it and that
//     year-earlier history has at least MinRefDays days with trials;
//   - trailing: every day of the Weeks weeks just before the judged day,
//     used otherwise (and always for monitors that do not ask for a
//     seasonal baseline).
//
// When neither has MinRefDays days with trials there is no baseline (kind
// none): the day gets no range and is never flagged.
//
//	b, err := quality.Baseline(series, today, o)
//	v, err := quality.Check(series[today], b, o)
//	if v.Alert { ... }
package quality

import (
	"fmt"
	"math"

	"anxin"
)

// Day is one day of a series: Events out of Trials (returns out of orders
// delivered, satisfied answers out of answers).
type Day struct {
	Trials int64
	Events int64
}

// Rate returns Events ÷ Trials, 0 for no trials.
func (d Day) Rate() float64 {
	if d.Trials == 0 {
		return 0
	}
	return float64(d.Events) / float64(d.Trials)
}

func (d Day) validate(i int) error {
	if d.Trials < 0 || d.Events < 0 {
		return anxin.Errorf(anxin.Invalid, "Day %d has a negative count (%d events of %d trials).", i, d.Events, d.Trials)
	}
	if d.Events > d.Trials {
		return anxin.Errorf(anxin.Invalid, "Day %d has more events than trials (%d of %d).", i, d.Events, d.Trials)
	}
	return nil
}

// Kind names where a baseline came from.
type Kind string

// Baseline kinds.
const (
	Seasonal Kind = "seasonal" // the same weekday around 52 weeks before
	Trailing Kind = "trailing" // the weeks just before
	None     Kind = "none"     // not enough history for either
)

// YearDays is how far back a seasonal baseline looks: 52 weeks, so the
// reference days fall on the judged day's weekday.
const YearDays = 52 * 7

// SeasonalWeeks is how many weeks either side of 52 weeks back a seasonal
// baseline takes: 50 to 54 weeks back, five same-weekday days.
const SeasonalWeeks = 2

// MinRefDays is how many reference days with trials a baseline needs.
const MinRefDays = 3

// Options tune baselines and checks.
type Options struct {
	Seasonal  bool    // try the year-earlier baseline first
	Weeks     int     // weeks of a trailing baseline; default 8
	Sigma     float64 // width of the normal range (k); default 3
	MinTrials int64   // days with fewer trials are not flagged; default 20
	LowIsBad  bool    // flag a fall (satisfaction) instead of a rise
}

func (o Options) withDefaults() Options {
	if o.Weeks <= 0 {
		o.Weeks = 8
	}
	if o.Sigma <= 0 {
		o.Sigma = 3
	}
	if o.MinTrials <= 0 {
		o.MinTrials = 20
	}
	return o
}

// Label is the human name of a baseline kind under o, for tables and
// charts: "seasonal: same weekday a year earlier (50–54 weeks back)",
// "trailing 8 weeks" or "no baseline yet — not judged". The seasonal and
// trailing labels start with their kind's name.
func Label(k Kind, o Options) string {
	o = o.withDefaults()
	switch k {
	case Seasonal:
		return fmt.Sprintf("seasonal: same weekday a year earlier (%d–%d weeks back)", 52-SeasonalWeeks, 52+SeasonalWeeks)
	case Trailing:
		if o.Weeks == 1 {
			return "trailing 1 week"
		}
		return fmt.Sprintf("trailing %d weeks", o.Weeks)
	}
	return "no baseline yet — not judged"
}

// Window is a half-open range [From, To) of day indices into a series.
type Window struct{ From, To int }

// Windows returns the reference windows a baseline for series[i] would
// use under o, and their kind; it does not look at the counts beyond
// whether days have trials.
func Windows(series []Day, i int, o Options) ([]Window, Kind) {
	o = o.withDefaults()
	if o.Seasonal {
		var ws []Window
		days := 0
		for w := -SeasonalWeeks; w <= SeasonalWeeks; w++ { // oldest first
			j := i - YearDays + 7*w
			if j >= 0 && j < i && j < len(series) {
				ws = append(ws, Window{j, j + 1})
				if series[j].Trials > 0 {
					days++
				}
			}
		}
		if days >= MinRefDays {
			return ws, Seasonal
		}
	}
	from := max(0, i-7*o.Weeks)
	to := min(i, len(series))
	if from >= to {
		return nil, None
	}
	days := 0
	for j := from; j < to; j++ {
		if series[j].Trials > 0 {
			days++
		}
	}
	if days < MinRefDays {
		return nil, None
	}
	return []Window{{from, to}}, Trailing
}

// Base is a baseline: the pooled rate of the reference days and the
// spread of their daily rates.
type Base struct {
	Kind   Kind
	Rate   float64 // pooled: all reference events ÷ all reference trials
	Spread float64 // sample standard deviation of the reference days' rates
	Days   int     // reference days with trials
	Trials int64
	Events int64
}

// Baseline computes the baseline for series[i] from earlier days only
// (series[0] is the oldest day): seasonal if o asks for it and the
// year-earlier days exist, else trailing, else kind None. It returns
// Invalid for a negative count, more events than trials, or i outside the
// series.
func Baseline(series []Day, i int, o Options) (Base, error) {
	if i < 0 || i >= len(series) {
		return Base{}, anxin.Errorf(anxin.Invalid, "Day %d is outside the series of %d days.", i, len(series))
	}
	for j, d := range series {
		if err := d.validate(j); err != nil {
			return Base{}, err
		}
	}
	ws, k := Windows(series, i, o)
	if k == None {
		return Base{Kind: None}, nil
	}
	return BaselineFrom(series, i, k, ws)
}

// BaselineFrom computes a baseline of kind k for series[i] over explicit
// reference windows. The windows must be non-empty, oldest first, not
// overlapping, inside the series and before day i; otherwise, or for bad
// counts, it returns Invalid. With fewer than MinRefDays reference days
// with trials the baseline is of kind None.
func BaselineFrom(series []Day, i int, k Kind, ws []Window) (Base, error) {
	if i < 0 || i >= len(series) {
		return Base{}, anxin.Errorf(anxin.Invalid, "Day %d is outside the series of %d days.", i, len(series))
	}
	if k != Seasonal && k != Trailing {
		return Base{}, anxin.Errorf(anxin.Invalid, "Baseline kind %q is neither seasonal nor trailing.", k)
	}
	prev := 0
	for n, w := range ws {
		switch {
		case w.From >= w.To:
			return Base{}, anxin.Errorf(anxin.Invalid, "Window %d runs backwards or is empty (%d to %d).", n, w.From, w.To)
		case w.From < 0 || w.To > i:
			return Base{}, anxin.Errorf(anxin.Invalid, "Window %d (%d to %d) is not inside the days before day %d.", n, w.From, w.To, i)
		case w.From < prev:
			return Base{}, anxin.Errorf(anxin.Invalid, "Window %d starts before the end of the one before it: windows must be oldest first and not overlap.", n)
		}
		prev = w.To
	}
	b := Base{Kind: k}
	var rates []float64
	for _, w := range ws {
		for j := w.From; j < w.To; j++ {
			d := series[j]
			if err := d.validate(j); err != nil {
				return Base{}, err
			}
			if d.Trials == 0 {
				continue
			}
			b.Trials += d.Trials
			b.Events += d.Events
			rates = append(rates, d.Rate())
		}
	}
	b.Days = len(rates)
	if b.Days < MinRefDays {
		return Base{Kind: None, Days: b.Days, Trials: b.Trials, Events: b.Events}, nil
	}
	b.Rate = float64(b.Events) / float64(b.Trials)
	var mean, ss float64
	for _, r := range rates {
		mean += r
	}
	mean /= float64(len(rates))
	for _, r := range rates {
		ss += (r - mean) * (r - mean)
	}
	b.Spread = math.Sqrt(ss / float64(len(rates)-1))
	return b, nil
}

// Verdict is the outcome of a check.
type Verdict struct {
	Kind  Kind
	Value float64
	Base  float64
	Lower float64
	Upper float64
	// Judged is false when the day could not be flagged: no baseline, or
	// fewer than MinTrials trials.
	Judged bool
	Alert  bool // judged and outside the range on the bad side
}

// Range returns the normal range for a day with n trials against b: the
// baseline rate ± Sigma·sd, where sd is the larger of the reference days'
// spread and the sampling noise. The noise is binomial, for the day's n
// trials and the baseline's own trials together, at the Wilson-adjusted
// rate (events + k²/2) ÷ (trials + k²): a baseline with no events at all
// still has a positive upper bound, so a near-zero rate never gives a
// 0–0 range. The bounds are clipped to [0, 1]. ok is false for a baseline
// of kind None.
func Range(b Base, n int64, o Options) (lower, upper float64, ok bool) {
	o = o.withDefaults()
	if b.Kind == None || b.Kind == "" || b.Trials <= 0 {
		return 0, 0, false
	}
	k := o.Sigma
	adj := (float64(b.Events) + k*k/2) / (float64(b.Trials) + k*k)
	inv := 1 / float64(b.Trials)
	if n > 0 {
		inv += 1 / float64(n)
	}
	sd := math.Max(b.Spread, math.Sqrt(adj*(1-adj)*inv))
	return math.Max(0, b.Rate-k*sd), math.Min(1, b.Rate+k*sd), true
}

// Check judges a day against its baseline. Days with fewer than MinTrials
// trials, and days without a baseline, get Judged false and never an
// alert; the range is still given when there is a baseline. Invalid for
// bad counts.
func Check(d Day, b Base, o Options) (Verdict, error) {
	if err := d.validate(0); err != nil {
		return Verdict{}, err
	}
	o = o.withDefaults()
	v := Verdict{Kind: b.Kind, Value: d.Rate(), Base: b.Rate}
	if v.Kind == "" {
		v.Kind = None
	}
	lo, hi, ok := Range(b, d.Trials, o)
	if !ok {
		return v, nil
	}
	v.Lower, v.Upper = lo, hi
	if d.Trials < o.MinTrials {
		return v, nil
	}
	v.Judged = true
	if o.LowIsBad {
		v.Alert = v.Value < v.Lower
	} else {
		v.Alert = v.Value > v.Upper
	}
	return v, nil
}
