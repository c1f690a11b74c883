package http_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	anxinhttp "anxin/http"
)

// TestBadKeysLimitedPerIP: after BadKeyLimit unknown keys from one address,
// that address gets 429 with a Retry-After, even with a good key, until the
// bucket refills; a missing key does not count.
func TestBadKeysLimitedPerIP(t *testing.T) {
	clock := anxintest.NewClock(t0)
	env := newAPIEnv(t, nil, func(s *anxinhttp.Server) { s.BadKeyLimit = 5; s.Clock = clock })
	for range 10 {
		if code, _ := env.doKey("", "GET", "/v1/whoami", nil); code != 401 {
			t.Fatalf("GET /v1/whoami without a key = %d; want 401", code)
		}
	}
	for i := range 5 {
		if code, body := env.doKey("ak_guess"+strconv.Itoa(i), "GET", "/v1/whoami", nil); code != 401 {
			t.Fatalf("bad key %d = %d %s; want 401", i, code, body)
		}
	}
	resp := rawGet(t, env.url+"/v1/whoami", "ak_guess6")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "12" {
		t.Fatalf("6th bad key = %d Retry-After %q; want 429 after 12 s (5 a minute)", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if code, _ := env.do(anxin.RolePlatform, "GET", "/v1/whoami", nil); code != 429 {
		t.Fatalf("good key from a blocked address = %d; want 429 (a guesser must not learn which key is live)", code)
	}
	clock.Set(clock.Now().Add(12 * time.Second))
	if code, _ := env.do(anxin.RolePlatform, "GET", "/v1/whoami", nil); code != 200 {
		t.Fatalf("good key 12 s later = %d; want 200", code)
	}
	if code, _ := env.doKey("ak_guess7", "GET", "/v1/whoami", nil); code != 401 {
		t.Fatalf("one more bad key = %d; want 401", code)
	}
	if code, _ := env.doKey("ak_guess8", "GET", "/v1/whoami", nil); code != 429 {
		t.Fatalf("and another = %d; want 429", code)
	}
}

// TestConsoleLoginLimitedPerIP: failed console sign-ins count per client IP,
// not per connection, so opening a new connection (a new source port) for
// each guess does not reset the count.
func TestConsoleLoginLimitedPerIP(t *testing.T) {
	env := newAPIEnv(t, nil, func(s *anxinhttp.Server) { s.BadKeyLimit = 3; s.SecureCookies = false })
	client := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	login := func(key string) int {
		form := url.Values{"key": {key}, "csrf": {"tok"}}
		req, _ := http.NewRequest("POST", env.url+"/console/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "anxin_login_csrf", Value: "tok"})
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 3 {
		if code := login("ak_wrong" + strconv.Itoa(i)); code != 401 {
			t.Fatalf("bad sign-in %d = %d; want 401", i, code)
		}
	}
	if code := login("ak_wrong4"); code != 429 {
		t.Fatalf("4th bad sign-in on a fresh connection = %d; want 429", code)
	}
	if code, _ := env.doKey("ak_wrong5", "GET", "/v1/whoami", nil); code != 429 {
		t.Fatalf("API call from the same address = %d; want 429 (one budget per address)", code)
	}
}

func rawGet(t *testing.T, url, key string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}
