// Package care is the customer-care engine: business-hours calendars and
// SLA deadline arithmetic exact to the second, SLA clocks that pause and
// escalate, the default skill groups, and the intent classifier that routes
// tickets to a group. It does no I/O.
//
//	cal, err := care.NewCalendar(anxin.Calendar{ID: "cn", TimeZone: "Asia/Shanghai", Hours: weekdays9to18})
//	due, err := cal.Add(createdAt, 72*time.Hour) // 72 business hours later
//	m := care.Train(examples, care.DefaultOptions)
//	group, p := m.Predict(ticketText)
package care

import (
	"sort"
	"time"

	"anxin"
)

// maxScanDays bounds deadline arithmetic: a budget that does not fit in ten
// years of the calendar's open hours is an error, not an endless loop.
const maxScanDays = 3660

// Calendar is a validated business-hours calendar. It is immutable and safe
// for concurrent use.
type Calendar struct {
	def      anxin.Calendar
	loc      *time.Location
	always   bool
	hours    [7][][2]int // sorted, non-overlapping, minutes
	holidays map[string]bool
	weekly   int64 // open seconds per week
}

// AlwaysOpen is the 24/7 calendar.
var AlwaysOpen = &Calendar{def: anxin.Calendar{ID: "24x7", Name: "24/7", TimeZone: "Asia/Shanghai", AlwaysOpen: true}, loc: anxin.MarketplaceTZ, always: true}

// NewCalendar validates c and returns it compiled. It returns Invalid when
// the time zone is unknown, an interval is malformed or overlaps another
// of the same day, a holiday is not a YYYY-MM-DD date, or the calendar has
// no open hours at all (an empty calendar would never let a clock run).
func NewCalendar(c anxin.Calendar) (*Calendar, error) {
	if err := anxin.ValidateID("id", c.ID); err != nil {
		return nil, err
	}
	if err := anxin.ValidateText("name", c.Name, anxin.MaxNameLen); err != nil {
		return nil, err
	}
	if c.TimeZone == "" {
		c.TimeZone = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil || len(c.TimeZone) > 64 {
		return nil, anxin.Errorf(anxin.Invalid, "time_zone is not a known IANA time zone.")
	}
	if c.TimeZone == "Asia/Shanghai" {
		loc = anxin.MarketplaceTZ
	}
	cal := &Calendar{def: c, loc: loc, always: c.AlwaysOpen, holidays: map[string]bool{}}
	if len(c.Holidays) > 1000 {
		return nil, anxin.Errorf(anxin.Invalid, "holidays has more than 1000 dates.")
	}
	for _, h := range c.Holidays {
		if _, err := time.Parse("2006-01-02", h); err != nil {
			return nil, anxin.Errorf(anxin.Invalid, "holidays must be dates written YYYY-MM-DD.")
		}
		cal.holidays[h] = true
	}
	if c.AlwaysOpen {
		for _, d := range c.Hours {
			if len(d) > 0 {
				return nil, anxin.Errorf(anxin.Invalid, "A calendar that is always open takes no hours.")
			}
		}
		cal.weekly = 7 * 86400
		return cal, nil
	}
	for wd, ivs := range c.Hours {
		if len(ivs) > 24 {
			return nil, anxin.Errorf(anxin.Invalid, "hours[%d] has more than 24 intervals.", wd)
		}
		s := append([][2]int(nil), ivs...)
		for _, iv := range s {
			if iv[0] < 0 || iv[1] > 1440 || iv[0] >= iv[1] {
				return nil, anxin.Errorf(anxin.Invalid, "hours[%d] has an interval that is empty or outside 0..1440 minutes.", wd)
			}
		}
		sort.Slice(s, func(i, j int) bool { return s[i][0] < s[j][0] })
		for i := 1; i < len(s); i++ {
			if s[i][0] < s[i-1][1] {
				return nil, anxin.Errorf(anxin.Invalid, "hours[%d] has overlapping intervals.", wd)
			}
		}
		cal.hours[wd] = s
		for _, iv := range s {
			cal.weekly += int64(iv[1]-iv[0]) * 60
		}
	}
	if cal.weekly == 0 {
		return nil, anxin.Errorf(anxin.Invalid, "The calendar is empty: give it open hours or make it always open.")
	}
	return cal, nil
}

// Def returns the calendar's definition.
func (c *Calendar) Def() anxin.Calendar { return c.def }

// openIntervals returns the open intervals of the local day starting at
// midnight, as absolute times.
func (c *Calendar) openIntervals(midnight time.Time) [][2]time.Time {
	if c.holidays[midnight.Format("2006-01-02")] {
		return nil
	}
	next := time.Date(midnight.Year(), midnight.Month(), midnight.Day()+1, 0, 0, 0, 0, c.loc)
	if c.always {
		return [][2]time.Time{{midnight, next}}
	}
	ivs := c.hours[midnight.Weekday()]
	out := make([][2]time.Time, 0, len(ivs))
	for _, iv := range ivs {
		a := midnight.Add(time.Duration(iv[0]) * time.Minute)
		b := midnight.Add(time.Duration(iv[1]) * time.Minute)
		if iv[1] == 1440 {
			b = next
		}
		out = append(out, [2]time.Time{a, b})
	}
	return out
}

// Add returns the instant at which budget of open time, counted from start,
// runs out. Start is truncated to the second; if start is outside open
// hours the count begins at the next opening. It returns Invalid if the
// budget does not fit in ten years of open hours. A zero budget returns
// start.
func (c *Calendar) Add(start time.Time, budget time.Duration) (time.Time, error) {
	start = start.Truncate(time.Second)
	if budget <= 0 {
		return start, nil
	}
	if c.always && len(c.holidays) == 0 {
		return start.Add(budget), nil
	}
	left := budget
	local := start.In(c.loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, c.loc)
	for i := 0; i < maxScanDays; i++ {
		for _, iv := range c.openIntervals(day) {
			a, b := iv[0], iv[1]
			if !b.After(start) {
				continue
			}
			if a.Before(start) {
				a = start
			}
			if span := b.Sub(a); span >= left {
				return a.Add(left).UTC(), nil
			} else {
				left -= span
			}
		}
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, c.loc)
	}
	return time.Time{}, anxin.Errorf(anxin.Invalid, "The SLA budget does not fit in ten years of the calendar's open hours.")
}

// Between returns the open time between from and to (zero if to is not
// after from), truncated to whole seconds.
func (c *Calendar) Between(from, to time.Time) time.Duration {
	from, to = from.Truncate(time.Second), to.Truncate(time.Second)
	if !to.After(from) {
		return 0
	}
	if c.always && len(c.holidays) == 0 {
		return to.Sub(from)
	}
	var total time.Duration
	local := from.In(c.loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, c.loc)
	for i := 0; i < maxScanDays*2 && day.Before(to); i++ {
		for _, iv := range c.openIntervals(day) {
			a, b := iv[0], iv[1]
			if a.Before(from) {
				a = from
			}
			if b.After(to) {
				b = to
			}
			if b.After(a) {
				total += b.Sub(a)
			}
		}
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, c.loc)
	}
	return total
}
