package testserver_test

import (
	"strings"
	"testing"

	"anxin"
	"anxin/anxintest/testserver"
)

func TestServer(t *testing.T) {
	s := testserver.New(t, nil, testserver.Full)
	k := s.Key(anxin.RoleOperator)
	if again := s.Key(anxin.RoleOperator); again != k {
		t.Errorf("Key made a second key for one role")
	}
	if other := s.NamedKey("second", anxin.RoleOperator); other == k || s.KeyID("second") == s.KeyID(string(anxin.RoleOperator)) {
		t.Errorf("NamedKey did not make a separate key")
	}
	if code, _ := s.Call("", "GET", "/v1/whoami", nil); code != 401 {
		t.Errorf("no key = %d; want 401", code)
	}
	var who struct {
		Role string `json:"role"`
	}
	if code := s.Do(anxin.RoleOperator, "GET", "/v1/whoami", nil, &who); code != 200 || who.Role != "operator" {
		t.Errorf("whoami = %d %+v; want 200 operator", code, who)
	}
	if code := s.Do(anxin.RolePlatform, "POST", "/v1/merchants", map[string]any{"items": []map[string]string{{"id": "m1", "name": "Tea"}}}, nil); code != 200 {
		t.Errorf("POST merchants = %d; want 200", code)
	}
	code, page := s.Page(k, "GET", "/console/merchants", nil)
	if code != 200 || !strings.Contains(page, "Tea") {
		t.Errorf("merchants page = %d; want 200 with the merchant", code)
	}
}
