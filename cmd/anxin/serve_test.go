package main

import (
	"anxin"
	"testing"
)

func TestCheckTransport(t *testing.T) {
	tests := []struct {
		addr, cert, key string
		allow           bool
		ok              bool
	}{
		{"127.0.0.1:8080", "", "", false, true},
		{"[::1]:8080", "", "", false, true},
		{"localhost:8080", "", "", false, true},
		{"0.0.0.0:8080", "", "", false, false},
		{":8080", "", "", false, false},
		{"10.1.2.3:8080", "", "", false, false},
		{"0.0.0.0:8080", "", "", true, true},
		{"0.0.0.0:8443", "c.pem", "k.pem", false, true},
		{"0.0.0.0:8443", "c.pem", "", false, false},
		{"nonsense", "", "", false, false},
	}
	for _, tt := range tests {
		err := checkTransport(tt.addr, tt.cert, tt.key, tt.allow)
		if (err == nil) != tt.ok {
			t.Errorf("checkTransport(%q, %q, %q, %v) = %v; want ok %v", tt.addr, tt.cert, tt.key, tt.allow, err, tt.ok)
		}
		if err != nil && anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("checkTransport(%q) kind = %v; want Invalid", tt.addr, anxin.KindOf(err))
		}
	}
}
