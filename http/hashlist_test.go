package http_test

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"anxin/hashbank"
)

const (
	listHashA = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
	listHashB = "358c86641a5269ab5b0db5f1b2315c1642cef9652c39b6ced9f646d91f071927"
	listHashC = "0000000000000000000000000000000000000000000000000000000000000fff"
)

func (h *ipHarness) raw(role, method, path string, body string) (int, http.Header, string) {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.keys[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestHashListImportExport(t *testing.T) {
	h := newIPHarness(t)
	list := "signal_type,signal_str,collab,category,tags\n" +
		"pdq," + listHashA + ",Sample Collab,POSITIVE_CLASS,counterfeit_bags\n" +
		"pdq," + listHashB + ",Sample Collab,INVESTIGATION_SEED,\n" +
		"pdq," + listHashC + ",Sample Collab,NEGATIVE_CLASS,\n"
	const imp = "/v1/hashbank:import?format=threatexchange-csv&label=counterfeit&brand_id=b1"

	// A bad line anywhere refuses the whole list.
	bad := list + "md5,d41d8cd98f00b204e9800998ecf8427e,Sample Collab,POSITIVE_CLASS,\n"
	code, out := h.do("operator", "POST", imp, "text/csv", []byte(bad))
	if code != 400 || !strings.Contains(errMessage(out), `line 5: signal type "md5" is not supported`) {
		t.Fatalf("import with a bad line = %d %v; want 400 naming line 5", code, out)
	}
	if code, _, body := h.raw("operator", "GET", "/v1/hashbank/export?format=signal-file", ""); code != 200 || body != "" {
		t.Fatalf("export after a refused import = %d %q; want 200 and an empty list", code, body)
	}

	for _, tt := range []struct {
		name, role, path string
		want             int
	}{
		{"platform may not import", "platform", imp, 403},
		{"unknown format", "operator", "/v1/hashbank:import?format=stix&label=counterfeit", 400},
		{"bad label", "operator", "/v1/hashbank:import?format=threatexchange-csv&label=fake", 400},
	} {
		if code, out := h.do(tt.role, "POST", tt.path, "text/csv", []byte(list)); code != tt.want {
			t.Errorf("%s: POST %s = %d %v; want %d", tt.name, tt.path, code, out, tt.want)
		}
	}
	if code, _, _ := h.raw("platform", "GET", "/v1/hashbank/export?format=hma", ""); code != 403 {
		t.Errorf("platform export = %d; want 403", code)
	}

	code, out = h.do("operator", "POST", imp, "text/csv", []byte(list))
	if code != 200 || out["received"] != 3.0 || out["added"] != 2.0 || out["skipped"] != 1.0 || out["duplicates"] != 0.0 {
		t.Fatalf("import = %d %v; want 3 received, 2 added, 1 skipped", code, out)
	}
	code, out = h.do("operator", "POST", imp, "text/csv", []byte(list))
	if code != 200 || out["added"] != 0.0 || out["duplicates"] != 2.0 {
		t.Fatalf("second import = %d %v; want 0 added, 2 duplicates", code, out)
	}

	code, out = h.do("operator", "GET", "/v1/hashbank/search?pdq="+listHashA+"&distance=0", "", nil)
	items, _ := out["items"].([]any)
	if code != 200 || len(items) != 1 {
		t.Fatalf("search for an imported hash = %d %v; want one match", code, out)
	}
	if m := items[0].(map[string]any); m["source"] != "Sample Collab" || m["label"] != "counterfeit" {
		t.Errorf("match = %v; want source Sample Collab, label counterfeit", m)
	}

	code, hdr, body := h.raw("operator", "GET", "/v1/hashbank/export?format=threatexchange-csv&label=counterfeit", "")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("export = %d %s; want 200 text/csv", code, hdr.Get("Content-Type"))
	}
	entries, err := hashbank.ReadList(strings.NewReader(body), hashbank.FormatThreatExchangeCSV)
	if err != nil || len(entries) != 2 {
		t.Fatalf("exported list = %d entries, %v; want 2:\n%s", len(entries), err, body)
	}
	if e := entries[0]; e.Hash.Hex() != listHashA || e.Source != "Sample Collab" || e.Category != hashbank.CategoryPositive ||
		strings.Join(e.Tags, " ") != "counterfeit brand:b1 counterfeit_bags" {
		t.Errorf("exported entry 0 = %+v; want hash A from Sample Collab, tags counterfeit brand:b1 counterfeit_bags", e)
	}
	if e := entries[1]; e.Hash.Hex() != listHashB || e.Category != hashbank.CategoryInvestigation {
		t.Errorf("exported entry 1 = %+v; want hash B as an investigation seed", e)
	}
	if code, _, body := h.raw("operator", "GET", "/v1/hashbank/export?format=signal-file&label=brand_owned", ""); code != 200 || body != "" {
		t.Errorf("export of an empty label = %d %q; want 200 and nothing", code, body)
	}
}

func errMessage(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

// TestImageHashIsPDQ: the API's pdq field is the reference implementation's
// PDQ of the image.
func TestImageHashIsPDQ(t *testing.T) {
	h := newIPHarness(t)
	data, err := os.ReadFile("../hashbank/testdata/pdq/circles-400x300.png")
	if err != nil {
		t.Fatal(err)
	}
	want := referencePDQ(t, "circles-400x300.png")
	code, out := h.do("platform", "POST", "/v1/images:hash", "image/png", data)
	if code != 200 || out["pdq"] != want[0] || out["quality"] != 100.0 {
		t.Fatalf("POST /v1/images:hash = %d %v; want pdq %s (reference) and quality 100", code, out, want[0])
	}
	dih, _ := out["pdq_dihedral"].(map[string]any)
	for k, name := range hashbank.DihedralNames {
		if dih[name] != want[k] {
			t.Errorf("pdq_dihedral[%s] = %v; want %s (reference)", name, dih[name], want[k])
		}
	}
}

// referencePDQ returns the reference's eight hashes of a test image.
func referencePDQ(t *testing.T, file string) []string {
	f, err := os.Open("../hashbank/testdata/pdq/reference.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) == 10 && cols[0] == file {
			return cols[2:]
		}
	}
	t.Fatalf("%s is not in reference.tsv", file)
	return nil
}
