package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestFailoverPolicyReload edits a lexicon through one replica and times
// how long each of the three takes to decide with it: every replica must
// block the new coded term within 5 s, without a restart.
func TestFailoverPolicyReload(t *testing.T) {
	c := newCluster(t)
	for i := range 3 {
		c.start(i)
	}
	platform, operator := c.createKey("platform"), c.createKey("operator")
	term := "暗号" + c.run // unique per run, so no earlier edit can match it
	outcome := func(r *replica) string {
		body := fmt.Sprintf(`{"id":"lst_reload_%s","title":"新款 %s 女包","merchant_id":"m1"}`, c.run, term)
		req, _ := http.NewRequest("POST", "http://"+r.addr+"/v1/listings:check", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+platform)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		defer resp.Body.Close()
		var d struct{ Outcome string }
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || json.Unmarshal(b, &d) != nil {
			t.Fatalf("%s check: %d %s", r.name, resp.StatusCode, b)
		}
		return d.Outcome
	}
	for _, r := range c.replicas {
		if got := outcome(r); got == "block" {
			t.Fatalf("%s blocks %q before the edit", r.name, term)
		}
	}
	put := fmt.Sprintf(`{"terms":[{"pattern":%q,"category":"counterfeit_hard","severity":5}]}`, term)
	req, _ := http.NewRequest("PUT", "http://"+c.replicas[0].addr+"/v1/lexicons/reload_"+c.run, strings.NewReader(put))
	req.Header.Set("Authorization", "Bearer "+operator)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT lexicon through replica-1: %d %s", resp.StatusCode, b)
	}
	edited := time.Now()
	for _, r := range c.replicas {
		for outcome(r) != "block" {
			if time.Since(edited) > 5*time.Second {
				t.Fatalf("%s still does not block the new term 5 s after the edit", r.name)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("%s blocks the new term %v after the edit through replica-1", r.name, time.Since(edited).Round(time.Millisecond))
	}
}
