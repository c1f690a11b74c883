package http_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"anxin"
	"anxin/evaluate"
	"anxin/governance"
)

// upload posts a labelled file to the evaluation page as role and returns
// the status, the Location header and the body.
func (g *govServer) upload(role anxin.Role, filename, content string) (int, string, string) {
	g.t.Helper()
	tok, csrf := g.ts.Session(g.keys[string(role)])
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("labels", filename)
	io.WriteString(fw, content)
	mw.Close()
	req, _ := http.NewRequest("POST", g.url+"/console/governance/eval", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: "anxin_session", Value: tok})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func TestEvalConsole(t *testing.T) {
	g := newGovServer(t)
	set := strings.Join([]string{
		`{"id":"a","kind":"listing","text":"高仿 LV 老花 手提包","label":"counterfeit"}`,
		`{"id":"b","kind":"listing","text":"纯棉T恤 白色 M码","label":"clean"}`,
		`{"id":"c","kind":"comment","text":"收到了，质量很好","label":"clean"}`,
		`{"id":"d","kind":"message","text":"今晚有空吗，同城上门","label":"sex_services"}`,
	}, "\n")

	if code, _ := g.page(anxin.RoleOperator, "GET", "/console/governance/eval", nil); code != http.StatusOK {
		t.Fatalf("GET eval page = %d; want 200", code)
	}
	if code, _, _ := g.upload(anxin.RoleReviewer, "set.jsonl", set); code != http.StatusForbidden {
		t.Errorf("upload as reviewer = %d; want 403", code)
	}
	bad := set + "\n" + `{"id":"e","kind":"comment","text":"x","label":"spam"}`
	code, _, body := g.upload(anxin.RoleOperator, "bad.jsonl", bad)
	if code != http.StatusBadRequest || !hasElement(body, "eval-problem") || !strings.Contains(body, `bad.jsonl: Line 5: unknown label &#34;spam&#34;`) {
		t.Errorf("upload of a bad file = %d, problem shown %v; want 400 naming line 5:\n%s", code, hasElement(body, "eval-problem"), body)
	}
	if _, body := g.page(anxin.RoleOperator, "GET", "/console/governance/eval", nil); strings.Contains(body, "bad.jsonl") {
		t.Error("a refused file was stored")
	}

	code, loc, _ := g.upload(anxin.RoleOperator, "set.jsonl", set)
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/governance/eval/eval_") {
		t.Fatalf("upload = %d to %q; want 303 to the result", code, loc)
	}
	code, body = g.page(anxin.RoleReviewer, "GET", loc, nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d", loc, code)
	}
	for _, id := range []string{"eval-overall", "eval-labels", "eval-kinds", "eval-missed", "eval-fp"} {
		if !hasElement(body, id) {
			t.Errorf("result page lacks #%s", id)
		}
	}
	// The page shows what the evaluate package computes with the same
	// (default) engine.
	items, err := evaluate.Parse(strings.NewReader(set), 0)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := governance.DefaultPack()
	eng, err := p.Engine()
	if err != nil {
		t.Fatal(err)
	}
	want := evaluate.Run(eng, items, evaluate.Options{})
	for _, w := range []string{
		"4 items (2 violations, 2 clean)",
		fmt.Sprintf(`<tr data-threshold="flagged"><td>blocked or sent to review</td><td>%.1f %%</td><td class="recall">%.1f %%</td><td class="fpr">%.1f %%</td>`,
			want.Flagged.Precision*100, want.Flagged.Recall*100, want.Flagged.FPR*100),
	} {
		if !strings.Contains(body, w) {
			t.Errorf("result page lacks %q:\n%s", w, body)
		}
	}
	if _, body := g.page(anxin.RoleOperator, "GET", "/console/governance/eval", nil); !strings.Contains(body, "set.jsonl") {
		t.Error("the evaluation list lacks the stored set")
	}
	if code, _ := g.page(anxin.RoleOperator, "GET", "/console/governance/eval/eval_nope", nil); code != http.StatusNotFound {
		t.Errorf("GET unknown evaluation = %d; want 404", code)
	}
}
