package http

import (
	"anxin/langtag"
	"context"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"sync"
	"time"

	"anxin"
)

// Console formatting: every time the console shows is in the marketplace's
// time zone with the zone named, every duration in its largest sensible
// units, every amount of money as ¥ with separators. Templates call these
// through the function map in loadTemplates, so a page cannot format a time
// its own way by accident.

// asTime accepts a time.Time or *time.Time; ok is false for nil and zero.
func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case *time.Time:
		if t == nil || t.IsZero() {
			return time.Time{}, false
		}
		return *t, true
	}
	return time.Time{}, false
}

// zoneLabel names the offset of t in its location: "UTC+8", "UTC+5:30".
func zoneLabel(t time.Time) string {
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	h, m := off/3600, off%3600/60
	if m != 0 {
		return fmt.Sprintf("UTC%s%d:%02d", sign, h, m)
	}
	return fmt.Sprintf("UTC%s%d", sign, h)
}

// consoleTime renders v in the marketplace time zone as a <time> element
// whose text names the zone ("2026-03-03 17:05 UTC+8") and whose datetime
// attribute is the instant in UTC. A nil or zero time renders as "—".
func consoleTime(layout string) func(v any) template.HTML {
	return func(v any) template.HTML {
		t, ok := asTime(v)
		if !ok {
			return "—"
		}
		l := t.In(anxin.MarketplaceTZ)
		return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `" title="` +
			template.HTMLEscapeString(anxin.MarketplaceTZ.String()) + `">` + l.Format(layout) + " " + zoneLabel(l) + `</time>`)
	}
}

// consoleZone names the marketplace time zone: "Asia/Shanghai (UTC+8)".
func consoleZone() string {
	return anxin.MarketplaceTZ.String() + " (" + zoneLabel(time.Now().In(anxin.MarketplaceTZ)) + ")"
}

// consoleDay renders the calendar day of v in the marketplace time zone.
func consoleDay(v any) string {
	t, ok := asTime(v)
	if !ok {
		return "—"
	}
	return t.In(anxin.MarketplaceTZ).Format(time.DateOnly)
}

// humanDuration renders d in its largest unit, with the next unit when it
// is not zero: "3 d", "2 d 4 h", "1 h 12 min", "45 min", "12 s", "350 ms".
func humanDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	units := []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "min"}, {time.Second, "s"}}
	out := ""
	switch {
	case d == 0:
		out = "0 s"
	case d < time.Second:
		out = strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	default:
		for i, u := range units {
			if d < u.size {
				continue
			}
			out = strconv.FormatInt(int64(d/u.size), 10) + " " + u.name
			if i+1 < len(units) {
				next := units[i+1]
				if r := d % u.size / next.size; r > 0 {
					out += " " + strconv.FormatInt(int64(r), 10) + " " + next.name
				}
			}
			break
		}
	}
	if neg {
		return "−" + out
	}
	return out
}

// consoleDuration accepts a time.Duration or a number of seconds (any
// integer or float type) and renders it with humanDuration.
func consoleDuration(v any) string {
	switch d := v.(type) {
	case time.Duration:
		return humanDuration(d)
	case int:
		return humanDuration(time.Duration(d) * time.Second)
	case int32:
		return humanDuration(time.Duration(d) * time.Second)
	case int64:
		return humanDuration(time.Duration(d) * time.Second)
	case float64:
		return humanDuration(time.Duration(d * float64(time.Second)))
	case *time.Duration:
		if d != nil {
			return humanDuration(*d)
		}
	}
	return "—"
}

// moneyClass is the CSS class of an amount: "neg" for a negative balance so
// the console flags it, "" otherwise.
func moneyClass(v int64) string {
	if v < 0 {
		return "neg"
	}
	return ""
}

// keyNames resolves key ids to the names operators gave the keys, loading
// them once per rendered page and only when a page asks.
type keyNames struct {
	once  sync.Once
	load  func() map[string]string
	names map[string]string
}

// Who returns the name of the key with id, "name (role)", or id itself
// when the key is unknown (revoked keys, system actors, merchants' ids).
func (v view) Who(id string) string {
	if id == "" {
		return ""
	}
	if v.names == nil || v.names.load == nil {
		return id
	}
	v.names.once.Do(func() { v.names.names = v.names.load() })
	if n, ok := v.names.names[id]; ok {
		return n
	}
	return id
}

// keyNameLoader returns a loader of the live keys' names; errors leave the
// ids shown as they are, since a page must not fail over a label.
func (s *Server) keyNameLoader(ctx context.Context) func() map[string]string {
	return func() map[string]string {
		out := map[string]string{}
		if s.Keys == nil {
			return out
		}
		keys, err := s.Keys.FindKeys(ctx)
		if err != nil {
			return out
		}
		for _, k := range keys {
			name := strings.TrimSpace(k.Name)
			if name == "" {
				continue
			}
			out[k.KeyID] = name + " (" + string(k.Role.Base()) + ")"
		}
		return out
	}
}

// zhAttr is the attribute that marks marketplace content written in
// Chinese: the console's chrome is English (layout.html says lang="en"),
// so a screen reader reads a title, a name or a quote in Chinese only when
// its element says so.
const zhAttr template.HTMLAttr = ` lang="zh"`

// consoleLang returns ` lang="zh"` (with its leading space) when any of
// vs (strings, or values printed with fmt) contains a Han character, and
// nothing otherwise. Templates put it on each element that prints user or
// marketplace text: <td{{zh .Title}}>{{.Title}}</td>, which renders a bare
// <td> for English.
func consoleLang(vs ...any) template.HTMLAttr {
	for _, v := range vs {
		var s string
		switch x := v.(type) {
		case nil:
			continue
		case string:
			s = x
		case template.HTML:
			s = string(x)
		case *string:
			if x == nil {
				continue
			}
			s = *x
		default:
			s = fmt.Sprint(x)
		}
		if langtag.HasHan(s) {
			return zhAttr
		}
	}
	return ""
}

// consoleZhRuns is langtag.Runs for any value (fmt.Sprint of a non-string).
func consoleZhRuns(v any) template.HTML {
	s, ok := v.(string)
	if !ok {
		s = fmt.Sprint(v)
	}
	return langtag.Runs(s)
}
