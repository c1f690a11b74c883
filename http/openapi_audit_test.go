package http

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIOperationSchemas walks every operation of the served document:
// each has an operationId and a summary, each request body has a schema,
// and each has a 2xx response that carries a schema for every media type
// it names, or a 204 (no content).
func TestOpenAPIOperationSchemas(t *testing.T) {
	b, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	type media map[string]struct {
		Schema json.RawMessage `json:"schema"`
	}
	type response struct {
		Ref     string `json:"$ref"`
		Content media  `json:"content"`
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var problems []string
	for p, ops := range doc.Paths {
		for m, raw := range ops {
			if !isMethod(m) {
				continue
			}
			name := strings.ToUpper(m) + " " + p
			var op struct {
				OperationID string `json:"operationId"`
				Summary     string `json:"summary"`
				RequestBody *struct {
					Content media `json:"content"`
				} `json:"requestBody"`
				Responses map[string]response `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				problems = append(problems, name+": "+err.Error())
				continue
			}
			if op.OperationID == "" || strings.TrimSpace(op.Summary) == "" {
				problems = append(problems, name+": no operationId or summary")
			}
			if rb := op.RequestBody; rb != nil {
				if len(rb.Content) == 0 {
					problems = append(problems, name+": request body without content")
				}
				for mt, c := range rb.Content {
					if len(c.Schema) == 0 {
						problems = append(problems, name+": request body "+mt+" has no schema")
					}
				}
			}
			ok := false
			for code, r := range op.Responses {
				if code == "204" {
					ok = true
					continue
				}
				if !strings.HasPrefix(code, "2") {
					continue
				}
				if len(r.Content) == 0 && r.Ref == "" {
					problems = append(problems, name+": "+code+" response has no content")
					continue
				}
				for mt, c := range r.Content {
					if len(c.Schema) == 0 {
						problems = append(problems, name+": "+code+" "+mt+" has no schema")
						continue
					}
					ok = true
				}
				if r.Ref != "" {
					ok = true
				}
			}
			if !ok {
				problems = append(problems, name+": no 2xx response schema and no 204")
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}
