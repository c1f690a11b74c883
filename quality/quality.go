// Package quality is the category quality-watch engine: daily rate series,
// baselines (plain trailing or seasonal, same weekday in earlier weeks and
// the same weeks a year before) and the test that raises an alert when a
// day leaves its normal range. It does no I/O.
//
//	b := quality.Baseline(series, today, quality.Options{Seasonal: true})
//	if a, ok := quality.Check(series[today], b, quality.Options{}); ok { ... }
package quality

import "math"

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

// Options tune baselines and checks.
type Options struct {
	Seasonal  bool    // same weekday in earlier weeks, plus the same weeks a year before
	Weeks     int     // weeks of history (seasonal) or 4×7 days (plain); default 8
	Sigma     float64 // width of the normal range in standard deviations; default 3
	MinTrials int64   // days with fewer trials are not judged; default 20
	LowIsBad  bool    // alert when the rate falls (satisfaction) instead of rising
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

// Base is a baseline: the pooled rate of the reference days and the
// spread of their daily rates.
type Base struct {
	Rate   float64
	Spread float64 // standard deviation of the reference days' rates
	Days   int     // reference days with trials
	Trials int64
}

// Baseline computes the baseline for series[i] from earlier days only:
// with Seasonal, the same weekday in each of the Weeks weeks before and in
// the three weeks around the same day a year before; otherwise the 28 days
// before. series[0] is the oldest day; days before it are ignored.
func Baseline(series []Day, i int, o Options) Base {
	o = o.withDefaults()
	var ref []int
	if o.Seasonal {
		for w := 1; w <= o.Weeks; w++ {
			ref = append(ref, i-7*w)
		}
		for _, w := range []int{51, 52, 53} {
			ref = append(ref, i-7*w)
		}
	} else {
		for d := 1; d <= 28; d++ {
			ref = append(ref, i-d)
		}
	}
	var b Base
	var events int64
	var rates []float64
	for _, j := range ref {
		if j < 0 || j >= len(series) || series[j].Trials == 0 {
			continue
		}
		b.Trials += series[j].Trials
		events += series[j].Events
		rates = append(rates, series[j].Rate())
	}
	b.Days = len(rates)
	if b.Trials == 0 {
		return b
	}
	b.Rate = float64(events) / float64(b.Trials)
	if len(rates) > 1 {
		var mean, ss float64
		for _, r := range rates {
			mean += r
		}
		mean /= float64(len(rates))
		for _, r := range rates {
			ss += (r - mean) * (r - mean)
		}
		b.Spread = math.Sqrt(ss / float64(len(rates)-1))
	}
	return b
}

// Verdict is the outcome of a check.
type Verdict struct {
	Value float64
	Base  float64
	Lower float64
	Upper float64
}

// Check judges a day against its baseline. The normal range is the
// baseline rate ± Sigma standard deviations, the deviation being the
// larger of the binomial one for the day's trials and the reference days'
// spread. It reports ok = true (an alert) when the day is outside the range
// on the bad side; days with too few trials, or without at least three
// reference days, are never alerts.
func Check(d Day, b Base, o Options) (Verdict, bool) {
	o = o.withDefaults()
	v := Verdict{Value: d.Rate(), Base: b.Rate}
	if d.Trials < o.MinTrials || b.Days < 3 {
		return v, false
	}
	sd := math.Sqrt(b.Rate * (1 - b.Rate) / float64(d.Trials))
	sd = math.Max(sd, b.Spread)
	v.Lower, v.Upper = math.Max(0, b.Rate-o.Sigma*sd), math.Min(1, b.Rate+o.Sigma*sd)
	if o.LowIsBad {
		return v, v.Value < v.Lower
	}
	return v, v.Value > v.Upper
}
