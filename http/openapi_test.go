package http

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPICoversRoutes fails when a registered API route is missing from
// the OpenAPI document or a documented route is not registered. Console
// pages are HTML, not API, and are left out.
func TestOpenAPICoversRoutes(t *testing.T) {
	b, err := OpenAPI()
	if err != nil {
		t.Fatalf("OpenAPI() error: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil || doc["openapi"] != "3.1.0" {
		t.Fatalf("OpenAPI() is not an OpenAPI 3.1 document: %v", err)
	}
	documented, err := documentedRoutes()
	if err != nil {
		t.Fatal(err)
	}
	var registered []string
	for _, r := range NewServer().Routes() {
		if strings.Contains(r, " /console/") || r == "GET /{$}" { // the console and its redirect are not API
			continue
		}
		registered = append(registered, strings.Replace(r, "{$}", "", 1))
	}
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			t.Errorf("route %q is registered but not in the OpenAPI document", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(registered, d) {
			t.Errorf("route %q is documented but not registered", d)
		}
	}
}
