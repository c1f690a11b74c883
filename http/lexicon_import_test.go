package http_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"anxin"
)

func TestLexiconImportHTTP(t *testing.T) {
	g := newGovServer(t)
	var rep struct {
		Version      int    `json:"version"`
		Added        int    `json:"added"`
		SkippedCount int    `json:"skipped_count"`
		Encoding     string `json:"encoding"`
		Skipped      []struct {
			Line   int    `json:"line"`
			Reason string `json:"reason"`
		} `json:"skipped"`
	}
	body := "\ufeff# 本店词表\r\n暗号乙\r\n暗号乙\r\n"
	if code := g.do("operator", "POST", "/v1/lexicons/shop_list/import?category=counterfeit_hard&severity=5", body, &rep); code != 200 {
		t.Fatalf("import = %d", code)
	}
	if rep.Version != 1 || rep.Added != 1 || rep.SkippedCount != 1 || rep.Encoding != "utf-8 with BOM" || rep.Skipped[0].Line != 3 {
		t.Errorf("import report = %+v; want version 1, 1 added, line 3 skipped", rep)
	}
	var test struct {
		Outcome string `json:"outcome"`
	}
	if code := g.do("operator", "POST", "/v1/lexicons:test", `{"kind":"listing","text":"暗 号 乙 款"}`, &test); code != 200 || test.Outcome != "block" {
		t.Errorf("test after the import = %d %q; want block", code, test.Outcome)
	}

	var e struct {
		Error struct {
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"error"`
	}
	tests := []struct {
		name, role, query, body string
		code                    int
		msg                     string
	}{
		{"nul byte", "operator", "category=c", "好词\n坏\x00词\n", 400, "Line 2 contains a NUL byte"},
		{"long term", "operator", "category=c", "ok\n" + strings.Repeat("长", 65) + "\n", 400, "Line 2: the term is 65 characters long"},
		{"no category", "operator", "", "ok\n", 400, "category is required"},
		{"bad severity", "operator", "category=c&severity=x", "ok\n", 400, "severity must be 1 to 5"},
		{"reviewer", "reviewer", "category=c", "ok\n", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Error.Message = ""
			code := g.do(tt.role, "POST", "/v1/lexicons/shop_list/import?"+tt.query, tt.body, &e)
			if code != tt.code || !strings.Contains(e.Error.Message, tt.msg) {
				t.Errorf("import = %d %q; want %d containing %q", code, e.Error.Message, tt.code, tt.msg)
			}
		})
	}
	// Nothing of the refused imports was applied.
	var lex struct {
		Version int         `json:"version"`
		Terms   []termProbe `json:"terms"`
	}
	if code := g.do("operator", "GET", "/v1/lexicons/shop_list", "", &lex); code != 200 || lex.Version != 1 || len(lex.Terms) != 1 {
		t.Errorf("lexicon after refused imports = %d %+v; want version 1 with 1 term", code, lex)
	}
}

type termProbe struct {
	Pattern string `json:"pattern"`
}

func TestLexiconImportConsole(t *testing.T) {
	g := newGovServer(t)
	post := func(role anxin.Role, name, category string, file []byte) (int, string) {
		t.Helper()
		tok, csrf := g.ts.Session(g.keys[string(role)])
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("csrf", csrf)
		mw.WriteField("category", category)
		mw.WriteField("severity", "5")
		fw, _ := mw.CreateFormFile("file", "words.txt")
		fw.Write(file)
		mw.Close()
		req, _ := http.NewRequest("POST", g.url+"/console/governance/lexicons/"+name+"/import", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.AddCookie(&http.Cookie{Name: "anxin_session", Value: tok})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	gbkList, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("暗号丙\r\n暗号丙\r\n"))
	code, html := post(anxin.RoleOperator, "console_list", "counterfeit_hard", gbkList)
	if code != 200 || !strings.Contains(html, "Imported as version 1 (gbk, 2 lines): 1 added, 1 skipped; line 2 暗号丙: same as line 1") {
		t.Errorf("console import = %d; want the report in the flash:\n%s", code, html)
	}
	if !hasElement(html, "import-form") || !strings.Contains(html, "暗号丙") {
		t.Errorf("the lexicon page after the import lacks the import form or the new term")
	}
	code, html = post(anxin.RoleOperator, "console_list", "counterfeit_hard", []byte("好词\n坏\x00词\n"))
	if code != 422 || !hasElement(html, "problem") || !strings.Contains(html, "Line 2 contains a NUL byte") {
		t.Errorf("console import of a binary file = %d; want the problem naming line 2", code)
	}
	if code, _ := post(anxin.RoleReviewer, "console_list", "counterfeit_hard", []byte("x词\n")); code != 403 {
		t.Errorf("console import as reviewer = %d; want 403", code)
	}
}
