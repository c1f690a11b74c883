package http

import (
	"net/http"
	"sort"
	"strings"

	"anxin"
)

// lexiconTest is the lexicon page's test box: the text cut into plain and
// highlighted segments by this lexicon's hits, the hits themselves, and the
// outcome the whole engine would give.
type lexiconTest struct {
	Text, Kind string
	Segments   []textSegment
	Hits       []anxin.Evidence
	Result     *anxin.TestResult
	Problem    string
}

// textSegment is a run of the tested text; Hit names the term when the run
// is a match.
type textSegment struct {
	Text string
	Hit  string
}

// highlight cuts text at the byte ranges of hits (overlaps merged; ranges
// outside the text or off rune boundaries are clamped by quote).
func highlight(text string, hits []anxin.Evidence) []textSegment {
	hs := append([]anxin.Evidence(nil), hits...)
	sort.Slice(hs, func(i, j int) bool { return hs[i].Start < hs[j].Start })
	var out []textSegment
	pos := 0
	for _, h := range hs {
		start, end := max(h.Start, pos), min(h.End, len(text))
		if start >= end {
			continue
		}
		if start > pos {
			out = append(out, textSegment{Text: quoteText(text, pos, start)})
		}
		out = append(out, textSegment{Text: quoteText(text, start, end), Hit: h.Term})
		pos = end
	}
	if pos < len(text) {
		out = append(out, textSegment{Text: quoteText(text, pos, len(text))})
	}
	return out
}

// quoteText returns text[start:end] as valid UTF-8.
func quoteText(text string, start, end int) string {
	return strings.ToValidUTF8(text[start:end], "")
}

// pageLexiconTest runs the test box text through the engine (all active
// lexicons and the active policy, as a check would) and highlights the
// hits of this lexicon. Nothing is stored.
func (s *Server) pageLexiconTest(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	l, err := s.Governance.FindLexicon(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	t := &lexiconTest{Text: r.PostFormValue("text"), Kind: r.PostFormValue("kind")}
	st := lexiconState{Edit: -1, Add: termForm{Severity: "3"}, Test: t}
	res, err := s.Governance.TestText(r.Context(), t.Kind, t.Text, 0)
	if err != nil {
		if anxin.KindOf(err) != anxin.Invalid && anxin.KindOf(err) != anxin.Unavailable {
			return err
		}
		t.Problem, st.Status = anxin.MessageOf(err), http.StatusUnprocessableEntity
		return s.renderLexiconPage(w, r, l, st)
	}
	t.Result = res
	for _, e := range res.Evidence {
		if e.Lexicon == l.Name && (e.Field == "" || e.Field == "text") {
			t.Hits = append(t.Hits, e)
		}
	}
	t.Segments = highlight(t.Text, t.Hits)
	return s.renderLexiconPage(w, r, l, st)
}
