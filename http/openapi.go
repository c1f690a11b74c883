package http

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// The OpenAPI 3.1 document is assembled from one fragment per capability in
// openapi/*.json, merged in file-name order: 00_base.json holds info,
// security schemes and shared schemas; each capability adds its paths and
// schemas in a file of its own, so capabilities never edit one shared file.

//go:embed openapi/*.json
var openapiFS embed.FS

var (
	openapiOnce sync.Once
	openapiDoc  []byte
	openapiErr  error
)

// OpenAPI returns the merged OpenAPI document.
func OpenAPI() ([]byte, error) {
	openapiOnce.Do(func() { openapiDoc, openapiErr = buildOpenAPI() })
	return openapiDoc, openapiErr
}

func buildOpenAPI() ([]byte, error) {
	names, err := fs.Glob(openapiFS, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	doc := map[string]any{}
	for _, n := range names {
		b, err := openapiFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var frag map[string]any
		if err := json.Unmarshal(b, &frag); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if err := mergeInto(doc, frag, n); err != nil {
			return nil, err
		}
	}
	if err := injectRoles(doc); err != nil {
		return nil, err
	}
	completeOpenAPI(doc)
	return json.MarshalIndent(doc, "", "  ")
}

// rolesSentence matches a hand-written "Role: …." or "Roles: …." sentence in
// a fragment's summary; injectRoles replaces it with the generated one.
var rolesSentence = regexp.MustCompile(`\s*\bRoles?: [^.]*\.`)

// injectRoles writes each /v1/ operation's allowed roles from routeAccess
// into the document: an x-roles extension and a "Roles: …." sentence at the
// end of its description, so the document cannot disagree with the gate.
func injectRoles(doc map[string]any) error {
	paths, _ := doc["paths"].(map[string]any)
	for p, v := range paths {
		ops, _ := v.(map[string]any)
		for m, o := range ops {
			op, ok := o.(map[string]any)
			if !ok || !strings.HasPrefix(p, "/v1/") {
				continue
			}
			pattern := strings.ToUpper(m) + " " + p
			roles, ok := RouteRoles(pattern)
			if !ok {
				return fmt.Errorf("openapi: %s has no entry in the access table", pattern)
			}
			sentence := "Roles: any authenticated key."
			if routeAccess[pattern] != nil {
				sentence = "Roles: " + strings.Join(roles, ", ") + "."
			}
			if sum, ok := op["summary"].(string); ok {
				op["summary"] = rolesSentence.ReplaceAllString(sum, "")
			}
			desc, _ := op["description"].(string)
			desc = strings.TrimSpace(rolesSentence.ReplaceAllString(desc, ""))
			if desc != "" {
				desc += " "
			}
			op["description"] = desc + sentence
			op["x-roles"] = roles
		}
	}
	return nil
}

// mergeInto merges src into dst recursively. Two fragments that define the
// same leaf (the same path and method, or the same schema) are an error.
func mergeInto(dst, src map[string]any, file string) error {
	for k, v := range src {
		old, ok := dst[k]
		if !ok {
			dst[k] = v
			continue
		}
		om, ok1 := old.(map[string]any)
		nm, ok2 := v.(map[string]any)
		if !ok1 || !ok2 {
			return fmt.Errorf("%s: %q is defined twice", file, k)
		}
		if err := mergeInto(om, nm, file); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	b, err := OpenAPI()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
	return nil
}

// documentedRoutes returns "METHOD /path" for every operation in the spec.
func documentedRoutes() ([]string, error) {
	b, err := OpenAPI()
	if err != nil {
		return nil, err
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	var out []string
	for p, ops := range doc.Paths {
		for m := range ops {
			switch m {
			case "get", "post", "put", "patch", "delete":
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
