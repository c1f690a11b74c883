package webhook

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	const secret = "whsec_test"
	now := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	ts := now.Unix()
	body := []byte(`{"id":"msg_1","type":"listing.delist","payload":{"listing_id":"l_1"}}`)
	h := Sign(secret, ts, body)
	if !strings.HasPrefix(h, "t="+strconv.FormatInt(ts, 10)+",v1=") || len(h) != len("t=,v1=")+len(strconv.FormatInt(ts, 10))+64 {
		t.Fatalf("Sign = %q; want t=<ts>,v1=<64 hex>", h)
	}
	other := Sign("whsec_other", ts, body)
	sig := strings.TrimPrefix(h, "t="+strconv.FormatInt(ts, 10)+",")
	tests := []struct {
		name    string
		secret  string
		header  string
		body    []byte
		now     time.Time
		wantErr error
	}{
		{"valid", secret, h, body, now, nil},
		{"valid within tolerance", secret, h, body, now.Add(4 * time.Minute), nil},
		{"valid with clock skew", secret, h, body, now.Add(-4 * time.Minute), nil},
		{"rotation: second v1 matches", secret, other + "," + sig, body, now, nil},
		{"spaces and unknown fields", secret, " " + strings.Replace(h, ",", " , v0=zz ,", 1), body, now, nil},
		{"tampered body", secret, h, []byte(strings.Replace(string(body), "l_1", "l_2", 1)), now, ErrMismatch},
		{"appended byte", secret, h, append(append([]byte{}, body...), ' '), now, ErrMismatch},
		{"wrong secret", "whsec_wrong", h, body, now, ErrMismatch},
		{"stale", secret, h, body, now.Add(6 * time.Minute), ErrStale},
		{"future", secret, h, body, now.Add(-6 * time.Minute), ErrStale},
		{"timestamp moved", secret, strings.Replace(h, "t="+strconv.FormatInt(ts, 10), "t="+strconv.FormatInt(ts+1, 10), 1), body, now, ErrMismatch},
		{"empty", secret, "", body, now, ErrMalformed},
		{"no signature", secret, "t=" + strconv.FormatInt(ts, 10), body, now, ErrMalformed},
		{"no timestamp", secret, sig, body, now, ErrMalformed},
		{"two timestamps", secret, "t=1," + h, body, now, ErrMalformed},
		{"short signature", secret, h[:len(h)-2], body, now, ErrMalformed},
		{"not hex", secret, h[:len(h)-2] + "zz", body, now, ErrMalformed},
		{"negative timestamp", secret, "t=-5," + sig, body, now, ErrMalformed},
		{"plus timestamp", secret, "t=+" + strconv.FormatInt(ts, 10) + "," + sig, body, now, ErrMalformed},
		{"no equals", secret, "t" + strconv.FormatInt(ts, 10) + "," + sig, body, now, ErrMalformed},
		{"too many signatures", secret, h + strings.Repeat(","+sig, 4), body, now, ErrMalformed},
		{"oversized", secret, h + "," + strings.Repeat("x=y,", 300) + "x=y", body, now, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.header, tt.body, tt.now, DefaultTolerance)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Verify(%q) = %v; want %v", tt.header, err, tt.wantErr)
			}
		})
	}
}

// FuzzParseHeader checks that the header parser never panics, accepts only
// what it documents, and that whatever Sign produces parses back.
func FuzzParseHeader(f *testing.F) {
	f.Add("t=1772528400,v1=" + strings.Repeat("ab", 32))
	f.Add(Sign("s", 1772528400, []byte("{}")))
	f.Add("t=1,v1=00,v1=")
	f.Add(",,,=,t=")
	f.Add("t=99999999999999999999,v1=" + strings.Repeat("0", 64))
	f.Add("v1=" + strings.Repeat("f", 64) + ",t=5,v2=x")
	f.Fuzz(func(t *testing.T, h string) {
		ts, sigs, err := parseHeader(h)
		if err != nil {
			if err != ErrMalformed {
				t.Fatalf("parseHeader(%q) error = %v; want ErrMalformed", h, err)
			}
			return
		}
		if ts <= 0 || len(sigs) == 0 || len(sigs) > maxSignatures || len(h) > maxHeaderLen {
			t.Fatalf("parseHeader(%q) = %d, %d sigs; accepted out of contract", h, ts, len(sigs))
		}
		for _, s := range sigs {
			if len(s) != 32 {
				t.Fatalf("parseHeader(%q) signature of %d bytes", h, len(s))
			}
		}
		// Verify must agree with the parse and never panic.
		_ = Verify("k", h, []byte(h), time.Unix(ts, 0), time.Minute)
		resigned := Sign("k", ts, []byte(h))
		if err := Verify("k", resigned, []byte(h), time.Unix(ts, 0), 0); err != nil {
			t.Fatalf("Verify(Sign(ts=%d)) = %v", ts, err)
		}
	})
}
