package http

import (
	"html/template"
	"slices"
	"strings"
	"unicode/utf8"

	"anxin"
)

// Evidence in place: the console shows the text a check read with every
// quoted span wrapped in <mark>, computed here from the evidence's byte
// offsets, so a reviewer sees where a term sits without reading offsets.

// markSpan is one highlighted range of a field, with what it cites.
type markSpan struct {
	start, end int
	title      string
}

// markEvidence returns text as HTML with the evidence of field marked.
// Evidence of other fields is ignored; evidence whose offsets fall outside
// the text or inside a UTF-8 sequence, or do not cover the quote it
// carries, is not marked (it is still listed beside the text), so a stale
// or hostile offset can neither split a character nor mark the wrong words.
// Overlapping spans merge into one mark. Everything else is escaped.
func markEvidence(text, field string, ev []anxin.Evidence) template.HTML {
	var spans []markSpan
	for _, e := range ev {
		if e.Field != field || !validSpan(text, e.Start, e.End) {
			continue
		}
		if e.Quote != "" && text[e.Start:e.End] != e.Quote {
			continue
		}
		spans = append(spans, markSpan{e.Start, e.End, evidenceTitle(e)})
	}
	slices.SortFunc(spans, func(a, b markSpan) int { return a.start - b.start })
	var b strings.Builder
	at := 0
	for i := 0; i < len(spans); {
		sp := spans[i]
		titles := []string{sp.title}
		for i++; i < len(spans) && spans[i].start < sp.end; i++ {
			sp.end = max(sp.end, spans[i].end)
			if !slices.Contains(titles, spans[i].title) {
				titles = append(titles, spans[i].title)
			}
		}
		b.WriteString(template.HTMLEscapeString(text[at:sp.start]))
		b.WriteString(`<mark title="` + template.HTMLEscapeString(strings.Join(titles, "; ")) + `">`)
		b.WriteString(template.HTMLEscapeString(text[sp.start:sp.end]))
		b.WriteString(`</mark>`)
		at = sp.end
	}
	b.WriteString(template.HTMLEscapeString(text[at:]))
	return template.HTML(b.String())
}

// validSpan reports whether [start, end) is a non-empty range of text on
// character boundaries.
func validSpan(text string, start, end int) bool {
	if start < 0 || end > len(text) || start >= end {
		return false
	}
	return utf8.RuneStart(text[start]) && (end == len(text) || utf8.RuneStart(text[end]))
}

// evidenceTitle says what a mark cites: "counterfeit_soft: 外贸原单".
func evidenceTitle(e anxin.Evidence) string {
	what := e.Category
	if what == "" {
		what = e.Kind
	}
	if e.Term != "" {
		what += ": " + e.Term
	}
	return what
}

// markedField is one checked field with its evidence in place.
type markedField struct {
	Name string
	HTML template.HTML
}

// markedFields returns the checked fields that have text, in reading order,
// each with its evidence marked.
func markedFields(c *anxin.CheckedText, ev []anxin.Evidence) []markedField {
	var out []markedField
	for _, f := range []string{"title", "description", "text"} {
		if t, ok := c.Field(f); ok {
			out = append(out, markedField{Name: f, HTML: markEvidence(t, f, ev)})
		}
	}
	return out
}
