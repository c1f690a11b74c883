package webhook_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
	"anxin/webhook"
)

const stdSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // 24 bytes, the form the Standard Webhooks examples use

func TestSignVerifyStandard(t *testing.T) {
	now := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	ts := now.Unix()
	tss := strconv.FormatInt(ts, 10)
	body := []byte(`{"id":"msg_1","type":"listing.delist"}`)
	sig, err := webhook.SignStandard(stdSecret, "msg_1", ts, body)
	if err != nil || !strings.HasPrefix(sig, "v1,") || len(sig) != len("v1,")+44 {
		t.Fatalf("SignStandard = %q, %v; want v1,<44 base64 chars>", sig, err)
	}
	other, _ := webhook.SignStandard("whsec_"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)), "msg_1", ts, body)
	tests := []struct {
		name, secret, id, ts, sig string
		body                      []byte
		now                       time.Time
		want                      error
	}{
		{"valid", stdSecret, "msg_1", tss, sig, body, now, nil},
		{"rotation: second signature matches", stdSecret, "msg_1", tss, other + " " + sig, body, now, nil},
		{"unknown version skipped", stdSecret, "msg_1", tss, "v1a,xyz " + sig, body, now, nil},
		{"tampered body", stdSecret, "msg_1", tss, sig, []byte(`{"id":"msg_2"}`), now, webhook.ErrMismatch},
		{"other id", stdSecret, "msg_2", tss, sig, body, now, webhook.ErrMismatch},
		{"wrong secret", "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)), "msg_1", tss, sig, body, now, webhook.ErrMismatch},
		{"stale", stdSecret, "msg_1", tss, sig, body, now.Add(6 * time.Minute), webhook.ErrStale},
		{"future", stdSecret, "msg_1", tss, sig, body, now.Add(-6 * time.Minute), webhook.ErrStale},
		{"timestamp not a number", stdSecret, "msg_1", "12a", sig, body, now, webhook.ErrMalformed},
		{"no id", stdSecret, "", tss, sig, body, now, webhook.ErrMalformed},
		{"no signature", stdSecret, "msg_1", tss, "", body, now, webhook.ErrMalformed},
		{"only other versions", stdSecret, "msg_1", tss, "v2,abc", body, now, webhook.ErrMalformed},
		{"signature not base64", stdSecret, "msg_1", tss, "v1,!!!", body, now, webhook.ErrMalformed},
		{"signature too short", stdSecret, "msg_1", tss, "v1,AAAA", body, now, webhook.ErrMalformed},
		{"secret without prefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", tss, sig, body, now, webhook.ErrSecretForm},
		{"secret not base64", "whsec_not base64!", "msg_1", tss, sig, body, now, webhook.ErrSecretForm},
		{"secret too short", "whsec_AAAA", "msg_1", tss, sig, body, now, webhook.ErrSecretForm},
		{"huge header", stdSecret, "msg_1", tss, strings.Repeat(sig+" ", 100), body, now, webhook.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.VerifyStandard(tt.secret, tt.id, tt.ts, tt.sig, tt.body, tt.now, webhook.DefaultTolerance)
			if !errors.Is(err, tt.want) {
				t.Fatalf("VerifyStandard = %v; want %v", err, tt.want)
			}
		})
	}
}

// TestDeliveryVerifiesWithStandardWebhooksLibrary sends a real delivery
// through the Sender, then verifies the request it received with the
// Standard Webhooks reference library for JavaScript (the npm package
// standardwebhooks, installed by CI into testdata/standardwebhooks), and
// checks that the library refuses the same request with a changed body.
// It skips when Node.js or the package is missing, unless
// ANXIN_TEST_STANDARDWEBHOOKS is set (CI sets it): then it fails.
func TestDeliveryVerifiesWithStandardWebhooksLibrary(t *testing.T) {
	dir := filepath.Join("testdata", "standardwebhooks")
	_, errNode := exec.LookPath("node")
	_, errPkg := os.Stat(filepath.Join(dir, "node_modules", "standardwebhooks"))
	if errNode != nil || errPkg != nil {
		if os.Getenv("ANXIN_TEST_STANDARDWEBHOOKS") != "" {
			t.Fatalf("Standard Webhooks check needs node and `npm ci` in %s (node: %v, package: %v)", dir, errNode, errPkg)
		}
		t.Skip("node or the standardwebhooks package is missing; run npm ci in " + dir)
	}
	clock := newClock()
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, clock)
		hook, rc := f.hook(t)
		if _, err := webhook.SecretKey(hook.Secret); err != nil {
			t.Fatalf("registration returned secret %.10q…, not in the whsec_ form: %v", hook.Secret, err)
		}
		id := f.enqueue(t, anxin.MessageDelistListing, "l_1")
		f.tick(t)
		reqs, _, bad := rc.snapshot()
		if bad != 0 || len(reqs) != 1 || reqs[0].header.Get(webhook.HeaderStandardID) != id {
			t.Fatalf("receiver saw %d requests (%d bad); want one with webhook-id %s", len(reqs), bad, id)
		}
		// Our verifier on the delivered headers, at the test clock; then
		// the library, first on the body re-signed now (its tolerance uses
		// the real clock), then on the delivered headers as they were sent.
		h := reqs[0].header
		if err := webhook.VerifyStandard(rc.secret, h.Get(webhook.HeaderStandardID), h.Get(webhook.HeaderStandardTimestamp), h.Get(webhook.HeaderStandardSignature), reqs[0].body, clock.Now(), webhook.DefaultTolerance); err != nil {
			t.Fatalf("delivered headers do not verify: %v", err)
		}
		now := time.Now().Unix()
		sig, err := webhook.SignStandard(hook.Secret, id, now, reqs[0].body)
		if err != nil {
			t.Fatal(err)
		}
		headers := map[string]string{
			webhook.HeaderStandardID:        id,
			webhook.HeaderStandardTimestamp: strconv.FormatInt(now, 10),
			webhook.HeaderStandardSignature: sig,
		}
		if out, err := runStandardLibrary(t, dir, hook.Secret, headers, string(reqs[0].body)); err != nil || out != "verified" {
			t.Fatalf("library on the delivery: %q, %v; want verified", out, err)
		}
		if out, err := runStandardLibrary(t, dir, hook.Secret, headers, string(reqs[0].body)+" "); err == nil {
			t.Fatalf("library accepted a changed body: %q", out)
		}
		// The delivered headers, with the library's clock at the send time.
		headers = map[string]string{
			webhook.HeaderStandardID:        h.Get(webhook.HeaderStandardID),
			webhook.HeaderStandardTimestamp: h.Get(webhook.HeaderStandardTimestamp),
			webhook.HeaderStandardSignature: h.Get(webhook.HeaderStandardSignature),
		}
		t.Setenv("ANXIN_FAKE_NOW", h.Get(webhook.HeaderStandardTimestamp))
		if out, err := runStandardLibrary(t, dir, hook.Secret, headers, string(reqs[0].body)); err != nil || out != "verified" {
			t.Fatalf("library on the delivered headers: %q, %v; want verified", out, err)
		}
	})
}

func runStandardLibrary(t *testing.T, dir, secret string, headers map[string]string, body string) (string, error) {
	t.Helper()
	in, _ := json.Marshal(map[string]any{"secret": secret, "headers": headers, "body": body})
	cmd := exec.Command("node", "verify.mjs")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}
