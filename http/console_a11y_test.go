package http_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"anxin"
	"anxin/anxintest/testserver"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// TestConsoleAccessibility renders every console page an operator can
// GET, on records with Chinese names and titles, and checks the rules the
// console keeps for screen readers: every form control has an accessible
// name, a page has one <h1>, the navigation marks the page it is on with
// aria-current, and Chinese text sits inside an element with lang="zh"
// (the chrome is English: layout.html says lang="en").
//
// Pages are found by walking: the routes without parameters first, then
// each parameterised route through the first three links to it that the
// pages rendered so far contain. A parameterised route no page links to is
// logged, not failed: the seed below does not create every kind of record.
func TestConsoleAccessibility(t *testing.T) {
	s := testserver.New(t, nil, testserver.Full)
	seedA11y(t, s)
	key := s.Key(anxin.RoleOperator)

	type route struct {
		pattern string
		re      *regexp.Regexp
		visits  int
	}
	var queue []string
	var params []*route
	for _, p := range s.API.Routes() {
		path, ok := strings.CutPrefix(p, "GET ")
		if !ok || !strings.HasPrefix(path, "/console/") || !servesHTML(path) {
			continue
		}
		if !strings.Contains(path, "{") || strings.HasSuffix(path, "{$}") {
			queue = append(queue, strings.TrimSuffix(path, "{$}"))
			continue
		}
		params = append(params, &route{pattern: path, re: regexp.MustCompile("^" + routeExpr(path) + "$")})
	}
	// The claims list shows open claims unless asked for all; the seeded
	// claim is decided at once.
	queue = append(queue, "/console/claims?all=1")
	seen := map[string]bool{}
	checked := 0
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		var code int
		var body string
		if path == "/console/login" {
			code, body = pageNoSession(t, s, path)
		} else {
			code, body = s.Page(key, "GET", path, nil)
		}
		if code == 403 || code == 303 {
			continue // not an operator's page
		}
		if code != 200 {
			t.Errorf("GET %s = %d; want 200\n%.300s", path, code, body)
			continue
		}
		doc, err := html.Parse(strings.NewReader(body))
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			continue
		}
		checked++
		for _, p := range a11yProblems(doc, strings.SplitN(path, "?", 2)[0]) {
			t.Errorf("%s: %s", path, p)
		}
		for _, href := range consoleLinks(doc) {
			u, _, _ := strings.Cut(href, "#")
			u, _, _ = strings.Cut(u, "?")
			for _, r := range params {
				if r.visits < 3 && !seen[u] && !slices.Contains(queue, u) && r.re.MatchString(u) {
					r.visits++
					queue = append(queue, u)
				}
			}
		}
	}
	for _, r := range params {
		if r.visits == 0 {
			t.Logf("no rendered page links to %s: not checked", r.pattern)
		}
	}
	t.Logf("checked %d pages", checked)
	if checked < 30 {
		t.Errorf("checked %d pages; want the console's (30 or more)", checked)
	}
}

// routeExpr turns a route pattern into a regular expression for paths.
func routeExpr(pattern string) string {
	var b strings.Builder
	for i, part := range strings.Split(pattern, "/") {
		if i > 0 {
			b.WriteString("/")
		}
		if strings.HasPrefix(part, "{") {
			b.WriteString(`[^/]+`)
		} else {
			b.WriteString(regexp.QuoteMeta(part))
		}
	}
	return b.String()
}

// servesHTML leaves out the console routes that answer with files.
func servesHTML(path string) bool {
	return !strings.HasPrefix(path, "/console/static/") && !strings.HasPrefix(path, "/console/export/") &&
		!strings.HasSuffix(path, "/export") && !strings.HasSuffix(path, "/download")
}

func pageNoSession(t *testing.T, s *testserver.Server, path string) (int, string) {
	t.Helper()
	code, b := s.Call("", "GET", path, nil)
	return code, string(b)
}

// seedA11y creates, through the API, records whose names and texts are in
// Chinese, so the pages that show them have Chinese to mark.
func seedA11y(t *testing.T, s *testserver.Server) {
	t.Helper()
	at := time.Now().UTC().Add(-2 * time.Hour)
	must := func(code int, want int, what string) {
		t.Helper()
		if code != want {
			t.Fatalf("seed %s = %d; want %d", what, code, want)
		}
	}
	p := anxin.RolePlatform
	must(s.Do(p, "POST", "/v1/merchants", map[string]any{"items": []map[string]any{
		{"id": "m_zh", "name": "杭州西湖茶叶旗舰店"}, {"id": "m_en", "name": "Tea House"}}}, nil), 200, "merchants")
	must(s.Do(p, "POST", "/v1/listings", map[string]any{"items": []map[string]any{
		{"id": "l_zh", "merchant_id": "m_zh", "title": "西湖龙井 明前特级 250克", "price_fen": 36800},
		{"id": "l_case", "merchant_id": "m_zh", "title": "外贸原单 T恤", "price_fen": 5900},
		{"id": "l_en", "merchant_id": "m_en", "title": "Green tea", "price_fen": 1200}}}, nil), 200, "listings")
	must(s.Do(p, "POST", "/v1/events", batchBody(
		eventJSON("e_1", "order.created", at, `{"id":"o_zh","merchant_id":"m_zh","buyer_id":"b_zh","items":[{"listing_id":"l_zh","quantity":1,"unit_price_fen":36800}]}`),
		eventJSON("e_2", "order.paid", at.Add(time.Minute), `{"order_id":"o_zh"}`),
		eventJSON("e_3", "shipment.scanned", at.Add(time.Hour), `{"order_id":"o_zh","shipment_id":"s_zh","code":"pickup","location":"杭州"}`),
	), nil), 200, "events")
	must(s.Do(p, "POST", "/v1/listings:check", `{"id":"l_case","title":"外贸原单 T恤","merchant_id":"m_zh"}`, nil), 200, "listing check")
	must(s.Do(p, "POST", "/v1/care/tickets", map[string]any{
		"requester_kind": "buyer", "requester_id": "b_zh", "merchant_id": "m_zh", "order_id": "o_zh", "body": "收到的茶叶受潮结块了"}, nil), 201, "care ticket")
	q := anxin.RoleQuality
	must(s.Do(q, "POST", "/v1/sampling/plans", map[string]any{"name": "春茶抽检", "budget_fen": 100000,
		"from": at.Add(-24 * time.Hour).Format(time.RFC3339), "to": at.Add(30 * 24 * time.Hour).Format(time.RFC3339),
		"quotas": []map[string]any{{"category": "茶叶", "quota": 3}}}, nil), 201, "sampling plan")
	must(s.Do(q, "POST", "/v1/quality/monitors", map[string]any{"scope": "category", "key": "茶叶", "metric": "return_rate", "seasonal": true}, nil), 201, "quality monitor")
	must(s.Do(anxin.RoleOperator, "POST", "/v1/brands", `{"id":"b_zh","name":"西湖","rights_holder_id":"rh_zh","registration_ref":"TM-1"}`, nil), 200, "brand")
	must(s.Do(anxin.RightsHolderRole("rh_zh"), "POST", "/v1/notices", `{"brand_id":"b_zh","listing_id":"l_zh","reason":"trademark.fake.zjdb","evidence":[{"kind":"images","ref":"img1"},{"kind":"text","ref":"商标不一致"}]}`, nil), 201, "notice")
	must(s.Do(p, "POST", "/v1/claims", `{"key":"k_zh","order_id":"o_zh","buyer_id":"b_zh","programme_id":"instant_refund","type":"unshipped_refund"}`, nil), 201, "claim")
}

// consoleLinks returns the href of every console link on the page.
func consoleLinks(doc *html.Node) []string {
	var out []string
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.DataAtom == atom.A {
			if h := attr(n, "href"); strings.HasPrefix(h, "/console/") {
				out = append(out, h)
			}
		}
	}
	return out
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, name string) bool {
	return slices.ContainsFunc(n.Attr, func(a html.Attribute) bool { return a.Key == name })
}

// a11yProblems lists what the page at path breaks of the console's rules.
func a11yProblems(doc *html.Node, path string) []string {
	var out []string
	labelled := map[string]bool{} // ids named by a <label for>
	h1 := 0
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.DataAtom == atom.Label && attr(n, "for") != "" {
			labelled[attr(n, "for")] = true
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.H1 {
			h1++
		}
	}
	if h1 != 1 {
		out = append(out, fmt.Sprintf("%d <h1> elements; want 1", h1))
	}
	for n := range doc.Descendants() {
		if n.Type == html.TextNode && hasHanText(n.Data) && !inLang(n, "zh") {
			out = append(out, fmt.Sprintf("Chinese text %q in <%s> has no lang=\"zh\" on it or an ancestor", strings.TrimSpace(n.Data), parentChain(n)))
		}
		if n.Type != html.ElementNode {
			continue
		}
		switch n.DataAtom {
		case atom.Input, atom.Select, atom.Textarea:
			switch attr(n, "type") {
			case "hidden", "submit", "button", "reset", "image":
				continue
			}
			if strings.TrimSpace(attr(n, "aria-label")) != "" || attr(n, "aria-labelledby") != "" ||
				(attr(n, "id") != "" && labelled[attr(n, "id")]) || insideLabel(n) {
				continue
			}
			out = append(out, fmt.Sprintf("<%s name=%q> has no accessible name (label or aria-label)", n.Data, attr(n, "name")))
		case atom.Nav:
			out = append(out, navProblems(n, path)...)
		}
	}
	return out
}

// navProblems checks that the link of the page a nav is on (the longest
// href that path equals or lies under; "/console/" only by itself) carries
// aria-current and that no other link does.
func navProblems(nav *html.Node, path string) []string {
	var links []*html.Node
	for n := range nav.Descendants() {
		if n.Type == html.ElementNode && n.DataAtom == atom.A {
			links = append(links, n)
		}
	}
	var active *html.Node
	for _, a := range links {
		h := strings.SplitN(attr(a, "href"), "?", 2)[0]
		if h == path || (h != "/console/" && strings.HasPrefix(path, strings.TrimSuffix(h, "/")+"/")) {
			if active == nil || len(h) > len(attr(active, "href")) {
				active = a
			}
		}
	}
	var out []string
	for _, a := range links {
		cur := attr(a, "aria-current")
		switch {
		case a == active && cur == "":
			out = append(out, fmt.Sprintf("nav link %s is the current page but has no aria-current", attr(a, "href")))
		case a != active && hasAttr(a, "aria-current"):
			out = append(out, fmt.Sprintf("nav link %s has aria-current but is not the current page", attr(a, "href")))
		}
	}
	return out
}

func hasHanText(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// inLang reports whether the nearest lang attribute on n or an ancestor
// names lang (or a subtag of it, zh-Hans).
func inLang(n *html.Node, lang string) bool {
	for p := n; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && hasAttr(p, "lang") {
			l := attr(p, "lang")
			return l == lang || strings.HasPrefix(l, lang+"-")
		}
	}
	return false
}

func insideLabel(n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.DataAtom == atom.Label {
			return true
		}
	}
	return false
}

// parentChain names the elements above a text node, as "body>main>td".
func parentChain(n *html.Node) string {
	var names []string
	for p := n.Parent; p != nil && p.Type == html.ElementNode; p = p.Parent {
		name := p.Data
		if id := attr(p, "id"); id != "" {
			name += "#" + id
		}
		names = append(names, name)
		if len(names) == 4 {
			break
		}
	}
	slices.Reverse(names)
	return strings.Join(names, ">")
}
