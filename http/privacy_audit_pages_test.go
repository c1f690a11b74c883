package http_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"anxin"
)

// TestAuditConsoleFiltersAndPages filters the audit page by actor (by the
// key's name), action, order and day, pages it by cursor, and shows a bad
// filter as an error above a form that keeps what was typed.
func TestAuditConsoleFiltersAndPages(t *testing.T) {
	e := newPrivacyEnv(t)
	for i := range 105 {
		g := map[string]any{"role": "care", "purpose": "care", "order_id": fmt.Sprintf("o%d", i), "expires_at": e.clock.Now().Add(time.Hour)}
		if code, body := e.do("privacy", "POST", "/v1/pii/grants", g); code != 200 && code != 201 {
			t.Fatalf("grant %d = %d %s", i, code, body)
		}
	}
	seqs := regexp.MustCompile(`data-seq="(\d+)"`)
	code, body := e.page("auditor", "GET", "/console/privacy/audit", nil)
	rows := seqs.FindAllStringSubmatch(body, -1)
	if code != 200 || len(rows) != 100 || !strings.Contains(body, `id="audit-older"`) {
		t.Fatalf("audit page = %d with %d rows; want 100 rows and a link to older rows", code, len(rows))
	}
	if !strings.Contains(body, "privacy (privacy)") {
		t.Errorf("audit page shows key ids, not the key's name")
	}
	last := rows[len(rows)-1][1]
	code, body = e.page("auditor", "GET", "/console/privacy/audit?before="+last, nil)
	older := seqs.FindAllStringSubmatch(body, -1)
	lastN, _ := strconv.Atoi(last)
	if code != 200 || len(older) == 0 || atoi(older[0][1]) >= lastN || !strings.Contains(body, `id="audit-newest"`) {
		t.Fatalf("older page = %d, first row %v after cursor %s", code, older, last)
	}
	// By actor name, action and order.
	q := url.Values{"actor": {"privacy"}, "action": {"grant"}, "order": {"o42"}}
	code, body = e.page("auditor", "GET", "/console/privacy/audit?"+q.Encode(), nil)
	if n := len(seqs.FindAllString(body, -1)); code != 200 || n != 1 || !strings.Contains(body, `href="/console/orders/o42"`) {
		t.Fatalf("filtered audit page = %d with %d rows; want the one grant of o42", code, n)
	}
	if !strings.Contains(body, `<option selected>grant</option>`) || !strings.Contains(body, `value="o42"`) {
		t.Errorf("the filter form does not keep its values")
	}
	today := e.clock.Now().In(anxin.MarketplaceTZ).Format(time.DateOnly)
	_, body = e.page("auditor", "GET", "/console/privacy/audit?action=grant&from="+today+"&to="+today, nil)
	if n := len(seqs.FindAllString(body, -1)); n != 100 {
		t.Errorf("today's grants = %d rows on the first page; want 100", n)
	}
	_, body = e.page("auditor", "GET", "/console/privacy/audit?action=grant&to=2000-01-01", nil)
	if n := len(seqs.FindAllString(body, -1)); n != 0 {
		t.Errorf("grants before 2000 = %d rows; want none", n)
	}
	for _, bad := range []string{"from=2026-02-01&to=2026-01-01", "from=yesterday", "action=drop_table", "before=-4", "order=" + url.QueryEscape("o 1")} {
		code, body := e.page("auditor", "GET", "/console/privacy/audit?"+bad, nil)
		if code != 400 || !strings.Contains(body, `id="audit-error"`) || !strings.Contains(body, `id="audit-filter"`) {
			t.Errorf("audit page with %s = %d; want 400 with the error above the form", bad, code)
		}
	}
	if code, _ := e.page("care", "GET", "/console/privacy/audit", nil); code != 403 {
		t.Errorf("audit page as care = %d; want 403", code)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
