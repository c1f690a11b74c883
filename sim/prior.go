package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"anxin"
)

// PriorDays is how many local days of history PriorHistory writes before
// the period: 54 weeks, so every day of a period shorter than 50 weeks has
// all five of its same-weekday days 50 to 54 weeks back in the history.
const PriorDays = 54 * 7

// PriorHistory returns the marketplace's own record of the year before
// the period for the fresh-produce category, as a warehouse export would
// give it: daily orders delivered and how many were returned, and how
// many of those cited damage or spoilage, for the PriorDays local days
// before the period starts.
//
// The levels come from the world itself: the volume is the category's
// delivered orders per day in the period, a fifth lower (the business
// grew), and the rates are those of the period's fresh orders delivered
// before the packing improved (Truth.FreshCampaignAt), leaving out the
// days of the cold-chain failure (Truth.ColdChainFailure). On top of them the
// year has the pattern of perishable goods: more orders and more spoilage
// at weekends (parcels wait longer), and spoilage that rises in the summer
// heat and falls in winter, scaled so the weeks a year before the period
// sit at the period's own level. The counts are drawn from a generator of
// their own, seeded from the world's seed, so the history never changes
// the world and the same seed gives the same history. Nothing here looks
// at what any detector flagged.
func PriorHistory(w *World) []anxin.QualityHistory {
	r := rand.New(rand.NewPCG(uint64(w.Config.Seed)^0x51ed2701, 0x94d049bb133111eb))
	perDay, returnRate, damageRate := freshLevels(w)
	first := localMidnight(w.Period.From)
	mid := w.Period.From.Add(w.Period.To.Sub(w.Period.From)/2).AddDate(0, 0, -YearDaysBack)
	ret := anxin.QualityHistory{Scope: anxin.ScopeCategory, Key: "fresh", Metric: anxin.MetricReturnRate}
	dmg := anxin.QualityHistory{Scope: anxin.ScopeCategory, Key: "fresh", Metric: anxin.MetricDamageRate}
	for back := PriorDays; back >= 1; back-- {
		d := first.AddDate(0, 0, -back)
		wd := d.Weekday()
		weekend := wd == time.Saturday || wd == time.Sunday
		volume := 0.8 * perDay
		spoil := summer(d) / summer(mid)
		if weekend {
			volume *= 1.3
			spoil *= 1.15
		} else {
			spoil *= 0.94
		}
		trials := max(0, int64(math.Round(volume*(1+0.15*r.NormFloat64()))))
		var returned, damaged int64
		for range trials {
			u := r.Float64()
			switch {
			case u < damageRate*spoil:
				returned++
				damaged++
			case u < damageRate*spoil+(returnRate-damageRate):
				returned++
			}
		}
		day := d.Format(time.DateOnly)
		ret.Days = append(ret.Days, anxin.QualityHistoryDay{Day: day, Trials: trials, Events: returned})
		dmg.Days = append(dmg.Days, anxin.QualityHistoryDay{Day: day, Trials: trials, Events: damaged})
	}
	return []anxin.QualityHistory{ret, dmg}
}

// YearDaysBack is 52 weeks, the distance of a seasonal comparison.
const YearDaysBack = 52 * 7

// summer is the seasonal factor of spoilage on d: 1 ± 0.25, highest in
// late July, lowest in late January.
func summer(d time.Time) float64 {
	return 1 + 0.25*math.Sin(2*math.Pi*float64(d.YearDay()-112)/365)
}

func localMidnight(t time.Time) time.Time {
	l := t.In(anxin.MarketplaceTZ)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, anxin.MarketplaceTZ)
}

// freshLevels returns the fresh-produce orders delivered per day in the
// period and, of those delivered before the packing improved, the share
// with an after-sale request that was not rejected and the share whose
// request was for spoilage or damage. A world without fresh deliveries
// gets modest defaults.
func freshLevels(w *World) (perDay, returnRate, damageRate float64) {
	fresh := map[string]bool{}
	for _, l := range w.Listings {
		if l.Category == "fresh" {
			fresh[l.ID] = true
		}
	}
	after := map[string]*anxin.AfterSale{}
	for _, a := range w.AfterSales {
		after[a.OrderID] = a
	}
	var delivered, early, returned, damaged int
	for _, o := range w.Orders {
		if o.DeliveredAt == nil || len(o.Items) == 0 || !fresh[o.Items[0].ListingID] {
			continue
		}
		delivered++
		if !o.DeliveredAt.Before(w.Truth.FreshCampaignAt) || w.Truth.ColdChainFailure.Contains(*o.DeliveredAt) {
			continue // last year had neither the better packing nor the failure
		}
		early++
		if a := after[o.ID]; a != nil && a.Status != "rejected" {
			returned++
			if a.Reason == "spoiled" || a.Reason == "damaged" {
				damaged++
			}
		}
	}
	days := w.Period.To.Sub(w.Period.From).Hours() / 24
	if delivered == 0 || early == 0 || days <= 0 {
		return 10, 0.18, 0.12
	}
	return float64(delivered) / days, float64(returned) / float64(early), float64(damaged) / float64(early)
}
