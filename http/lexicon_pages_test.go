package http_test

import (
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"anxin"
)

// inputValue returns the value attribute of the input with the given id,
// and whether there is one.
func inputValue(page, id string) (string, bool) {
	m := regexp.MustCompile(`<input[^>]*\sid="` + regexp.QuoteMeta(id) + `"[^>]*\svalue="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

// fieldError returns the error shown right after the input with the given
// id ("" when none).
func fieldError(page, id string) string {
	m := regexp.MustCompile(`<input[^>]*\sid="` + regexp.QuoteMeta(id) + `"[^>]*>(?:</label>)?<span class="field-error">([^<]*)</span>`).FindStringSubmatch(page)
	if m == nil {
		m = regexp.MustCompile(`<select[^>]*\sid="` + regexp.QuoteMeta(id) + `"[^>]*>.*?</select>(?:</label>)?<span class="field-error">([^<]*)</span>`).FindStringSubmatch(page)
	}
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// termRows returns the patterns of the rows of the term table.
func termRows(page string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<tr data-term="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

func TestLexiconEditor(t *testing.T) {
	g := newGovServer(t)
	op := anxin.RoleOperator
	lex := "/console/governance/lexicons/"

	// New lexicon: bad values are shown beside their fields, typed values kept.
	code, page := g.page(op, "POST", "/console/governance/lexicons", url.Values{"name": {"Bad Name"}, "description": {"shop words"}, "category": {"counterfeit_soft"}, "severity": {"9"}})
	if code != 422 || fieldError(page, "new-name") == "" || !strings.Contains(fieldError(page, "new-severity"), "1 to 5") {
		t.Fatalf("bad new lexicon = %d; name error %q, severity error %q", code, fieldError(page, "new-name"), fieldError(page, "new-severity"))
	}
	if v, _ := inputValue(page, "new-description"); v != "shop words" {
		t.Errorf("description after a refused form = %q; want the typed value", v)
	}
	code, page = g.page(op, "POST", "/console/governance/lexicons", url.Values{"name": {"counterfeit"}, "category": {"x"}, "severity": {"3"}})
	if code != 422 || !strings.Contains(fieldError(page, "new-name"), "already exists") {
		t.Errorf("new lexicon with a taken name = %d, error %q", code, fieldError(page, "new-name"))
	}
	code, _ = g.page(op, "POST", "/console/governance/lexicons", url.Values{"name": {"shop_words"}, "category": {"shop_hard"}, "severity": {"4"}})
	if code != 303 {
		t.Fatalf("create lexicon = %d; want 303 to the new lexicon", code)
	}
	code, page = g.page(op, "GET", lex+"shop_words?category=shop_hard&severity=4", nil)
	if v, _ := inputValue(page, "add-category"); code != 200 || v != "shop_hard" {
		t.Fatalf("new lexicon page = %d, add form category %q; want shop_hard", code, v)
	}
	if code, _ := g.page(anxin.RoleReviewer, "POST", "/console/governance/lexicons", url.Values{"name": {"r1"}, "category": {"x"}, "severity": {"3"}}); code != 403 {
		t.Errorf("create lexicon as reviewer = %d; want 403", code)
	}

	// Add a term: each bad input is refused beside its field, nothing saved.
	add := func(v url.Values) (int, string) {
		t.Helper()
		var l anxin.Lexicon
		g.do("operator", "GET", "/v1/lexicons/shop_words", "", &l)
		v.Set("version", strconv.Itoa(l.Version))
		return g.page(op, "POST", lex+"shop_words/terms", v)
	}
	bad := []struct {
		name, field, want string
		form              url.Values
	}{
		{"empty pattern", "add-pattern", "pattern is empty", url.Values{"pattern": {" "}, "category": {"shop_hard"}, "severity": {"3"}}},
		{"bad category", "add-category", "category", url.Values{"pattern": {"水货表"}, "category": {"Shop Hard!"}, "severity": {"3"}}},
		{"severity out of range", "add-severity", "1 to 5", url.Values{"pattern": {"水货表"}, "category": {"shop_hard"}, "severity": {"0"}}},
		{"severity not a number", "add-severity", "1 to 5", url.Values{"pattern": {"水货表"}, "category": {"shop_hard"}, "severity": {"high"}}},
		{"control character in an alias", "add-aliases", "control character", url.Values{"pattern": {"水货表"}, "aliases": {"水\x01货"}, "category": {"shop_hard"}, "severity": {"3"}}},
		{"oversized context", "add-except", "longer than", url.Values{"pattern": {"水货表"}, "except": {strings.Repeat("长", 60)}, "category": {"shop_hard"}, "severity": {"3"}}},
		{"unknown kind", "", "kind", url.Values{"pattern": {"水货表"}, "kinds": {"email"}, "category": {"shop_hard"}, "severity": {"3"}}},
	}
	for _, tt := range bad {
		code, page := add(tt.form)
		msg := fieldError(page, tt.field)
		if tt.field == "" {
			msg = strings.Join(regexp.MustCompile(`field-error">([^<]*)<`).FindStringSubmatch(page), " ")
		}
		if code != 422 || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: add = %d, error %q; want 422 with %q", tt.name, code, msg, tt.want)
		}
		if v, _ := inputValue(page, "add-pattern"); v != strings.TrimSpace(tt.form.Get("pattern")) {
			t.Errorf("%s: pattern after refusal = %q; want the typed value", tt.name, v)
		}
	}
	var l anxin.Lexicon
	if g.do("operator", "GET", "/v1/lexicons/shop_words", "", &l); l.Version != 1 || len(l.Terms) != 0 {
		t.Fatalf("lexicon after refused adds = v%d with %d terms; want v1 with none", l.Version, len(l.Terms))
	}
	code, page = add(url.Values{"pattern": {"水货表"}, "aliases": {"水貨錶，水货手表"}, "except": {"防水货表带"}, "category": {"shop_hard"}, "severity": {"4"}, "kinds": {"listing", "comment"}})
	if code != 200 || len(termRows(page)) != 1 || termRows(page)[0] != "水货表" {
		t.Fatalf("add term = %d, rows %v", code, termRows(page))
	}
	g.do("operator", "GET", "/v1/lexicons/shop_words", "", &l)
	if want := []string{"水貨錶", "水货手表"}; len(l.Terms) != 1 || strings.Join(l.Terms[0].Aliases, "|") != strings.Join(want, "|") || l.Terms[0].Except[0] != "防水货表带" || len(l.Terms[0].Kinds) != 2 {
		t.Errorf("stored term = %+v; want aliases %v, the context and two kinds", l.Terms, want)
	}
	if code, page := add(url.Values{"pattern": {"水货表"}, "category": {"shop_hard"}, "severity": {"2"}}); code != 422 || !strings.Contains(fieldError(page, "add-pattern"), "already has") {
		t.Errorf("duplicate pattern = %d, %q", code, fieldError(page, "add-pattern"))
	}

	// Search and paging over 120 terms.
	terms := []anxin.LexiconTerm{l.Terms[0]}
	for i := range 119 {
		terms = append(terms, anxin.LexiconTerm{Pattern: "暗语" + strconv.Itoa(i), Category: "shop_soft", Severity: 2})
	}
	body, _ := json.Marshal(map[string]any{"terms": terms})
	if code := g.do("operator", "PUT", "/v1/lexicons/shop_words", string(body), &l); code != 200 {
		t.Fatalf("PUT 120 terms = %d", code)
	}
	_, page = g.page(op, "GET", lex+"shop_words", nil)
	if n := len(termRows(page)); n != 50 || !hasElement(page, "next") || hasElement(page, "prev") {
		t.Errorf("page 1 has %d rows, next %v, prev %v; want 50, a next link and no previous", n, hasElement(page, "next"), hasElement(page, "prev"))
	}
	_, page = g.page(op, "GET", lex+"shop_words?page=3", nil)
	if rows := termRows(page); len(rows) != 20 || rows[19] != "暗语118" || hasElement(page, "next") {
		t.Errorf("page 3 rows = %d (last %v); want 20 ending with 暗语118", len(rows), rows)
	}
	_, page = g.page(op, "GET", lex+"shop_words?q=暗语11", nil)
	if rows := termRows(page); len(rows) != 10 {
		t.Errorf("search 暗语11 = %v; want 暗语11 and 暗语110–118", rows)
	}
	_, page = g.page(op, "GET", lex+"shop_words?q=水貨", nil)
	if rows := termRows(page); len(rows) != 1 || rows[0] != "水货表" {
		t.Errorf("search by alias = %v; want 水货表", rows)
	}
	_, page = g.page(op, "GET", lex+"shop_words?q=nothing-like-this", nil)
	if !hasElement(page, "no-terms") {
		t.Errorf("search with no match shows no empty row")
	}

	// Edit: a stale form is refused; a bad value keeps the typed text.
	code, page = g.page(op, "POST", lex+"shop_words/terms/0", url.Values{"version": {"1"}, "was": {"水货表"}, "action": {"save"}, "pattern": {"水货表"}, "category": {"shop_hard"}, "severity": {"5"}})
	if code != 409 || !hasElement(page, "problem") {
		t.Errorf("edit from a stale version = %d; want 409 with the problem", code)
	}
	v := strconv.Itoa(l.Version)
	code, page = g.page(op, "POST", lex+"shop_words/terms/0", url.Values{"version": {v}, "was": {"水货表"}, "action": {"save"}, "pattern": {"水货名表"}, "category": {"shop_hard"}, "severity": {"7"}})
	if got, _ := inputValue(page, "edit-pattern"); code != 422 || got != "水货名表" || fieldError(page, "edit-severity") == "" {
		t.Errorf("bad edit = %d, pattern %q, severity error %q; want 422 keeping the typed pattern", code, got, fieldError(page, "edit-severity"))
	}
	code, _ = g.page(op, "POST", lex+"shop_words/terms/0", url.Values{"version": {v}, "was": {"水货表"}, "action": {"save"}, "pattern": {"水货名表"}, "category": {"shop_hard"}, "severity": {"5"}})
	g.do("operator", "GET", "/v1/lexicons/shop_words", "", &l)
	if code != 200 || l.Terms[0].Pattern != "水货名表" || l.Terms[0].Severity != 5 || len(l.Terms) != 120 {
		t.Errorf("edit = %d, term 0 %+v", code, l.Terms[0])
	}
	if code, _ := g.page(op, "POST", lex+"shop_words/terms/0", url.Values{"version": {strconv.Itoa(l.Version)}, "was": {"someone else"}, "action": {"save"}}); code != 404 {
		t.Errorf("edit naming another pattern = %d; want 404", code)
	}
	if code, _ := g.page(op, "POST", lex+"shop_words/terms/999", url.Values{"version": {strconv.Itoa(l.Version)}, "was": {"x"}, "action": {"remove"}, "confirm": {"yes"}}); code != 404 {
		t.Errorf("remove past the end = %d; want 404", code)
	}

	// The test box highlights this lexicon's hits.
	code, page = g.page(op, "POST", lex+"shop_words/test", url.Values{"kind": {"listing"}, "text": {"全新水货名表 包邮"}})
	if code != 200 || !regexp.MustCompile(`<mark class="hit" title="水货名表">水货名表</mark>`).MatchString(page) {
		t.Errorf("test box = %d; want 水货名表 highlighted", code)
	}
	if code, page := g.page(op, "POST", lex+"shop_words/test", url.Values{"kind": {"email"}, "text": {"x"}}); code != 422 || !hasElement(page, "test-problem") {
		t.Errorf("test box with a bad kind = %d", code)
	}

	// Remove needs the confirmation.
	v = strconv.Itoa(l.Version)
	if code, _ := g.page(op, "POST", lex+"shop_words/terms/0", url.Values{"version": {v}, "was": {"水货名表"}, "action": {"remove"}}); code != 422 {
		t.Errorf("remove without confirmation = %d; want 422", code)
	}
	code, _ = g.page(op, "POST", lex+"shop_words/terms/0", url.Values{"version": {v}, "was": {"水货名表"}, "action": {"remove"}, "confirm": {"yes"}})
	g.do("operator", "GET", "/v1/lexicons/shop_words", "", &l)
	if code != 200 || len(l.Terms) != 119 || l.Terms[0].Pattern != "暗语0" {
		t.Errorf("remove = %d, %d terms left, first %q", code, len(l.Terms), l.Terms[0].Pattern)
	}
	if code, _ := g.page(anxin.RoleReviewer, "POST", lex+"shop_words/terms/0", url.Values{"version": {strconv.Itoa(l.Version)}, "was": {"暗语0"}, "action": {"remove"}, "confirm": {"yes"}}); code != 403 {
		t.Errorf("remove as reviewer = %d; want 403", code)
	}
}
