package vault_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"anxin"
	"anxin/vault"
)

// fakeTransit implements the transit endpoints' JSON shapes (encrypt,
// decrypt, keys read, rotate, config) for one key, in memory.
type fakeTransit struct {
	mu     sync.Mutex
	token  string
	keys   map[int]cipher.AEAD
	latest int
	minDec int
	calls  int
}

func newFakeTransit(t *testing.T) (*fakeTransit, *httptest.Server) {
	f := &fakeTransit{token: "s.test-token", keys: map[int]cipher.AEAD{}, minDec: 1}
	f.rotate()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeTransit) rotate() {
	k := make([]byte, 32)
	rand.Read(k)
	b, _ := aes.NewCipher(k)
	a, _ := cipher.NewGCMWithRandomNonce(b)
	f.latest++
	f.keys[f.latest] = a
}

func (f *fakeTransit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if r.Header.Get("X-Vault-Token") != f.token {
		http.Error(w, `{"errors":["permission denied"]}`, http.StatusForbidden)
		return
	}
	var in map[string]any
	json.NewDecoder(r.Body).Decode(&in)
	reply := func(data any) {
		json.NewEncoder(w).Encode(map[string]any{"data": data})
	}
	switch {
	case r.Method == "POST" && r.URL.Path == "/v1/transit/encrypt/anxin":
		pt, err := base64.StdEncoding.DecodeString(in["plaintext"].(string))
		if err != nil {
			http.Error(w, `{"errors":["bad plaintext"]}`, 400)
			return
		}
		ct := f.keys[f.latest].Seal(nil, nil, pt, nil)
		reply(map[string]any{"ciphertext": "vault:v" + strconv.Itoa(f.latest) + ":" + base64.StdEncoding.EncodeToString(ct), "key_version": f.latest})
	case r.Method == "POST" && r.URL.Path == "/v1/transit/decrypt/anxin":
		ct, _ := in["ciphertext"].(string)
		rest, _ := strings.CutPrefix(ct, "vault:v")
		vs, b64, _ := strings.Cut(rest, ":")
		v, _ := strconv.Atoi(vs)
		raw, err := base64.StdEncoding.DecodeString(b64)
		key, ok := f.keys[v]
		if err != nil || !ok || v < f.minDec {
			http.Error(w, `{"errors":["invalid ciphertext"]}`, 400)
			return
		}
		pt, err := key.Open(nil, nil, raw, nil)
		if err != nil {
			http.Error(w, `{"errors":["cipher: message authentication failed"]}`, 400)
			return
		}
		reply(map[string]any{"plaintext": base64.StdEncoding.EncodeToString(pt)})
	case r.Method == "GET" && r.URL.Path == "/v1/transit/keys/anxin":
		reply(map[string]any{"latest_version": f.latest, "min_decryption_version": f.minDec, "type": "aes256-gcm96"})
	case r.Method == "POST" && r.URL.Path == "/v1/transit/keys/anxin/rotate":
		f.rotate()
		reply(map[string]any{"latest_version": f.latest})
	case r.Method == "POST" && r.URL.Path == "/v1/transit/keys/anxin/config":
		f.minDec = int(in["min_decryption_version"].(float64))
		w.WriteHeader(204)
	default:
		http.Error(w, `{"errors":["unsupported path"]}`, 404)
	}
}

func TestTransitKEK(t *testing.T) {
	ctx := context.Background()
	f, srv := newFakeTransit(t)
	kek := &vault.TransitKEK{Addr: srv.URL, Key: "anxin", Token: f.token}
	v := vault.New(kek)
	dk, err := v.NewDataKey(ctx, "dk_1")
	if err != nil {
		t.Fatal(err)
	}
	if dk.Wrapped.KEKVersion != 1 || !strings.HasPrefix(string(dk.Wrapped.Wrapped), "vault:v1:") {
		t.Fatalf("wrapped = %d %q", dk.Wrapped.KEKVersion, dk.Wrapped.Wrapped)
	}
	blob, _ := dk.Seal("pii_1", "phone", "13812345678")
	if got, err := vault.New(kek).Open(ctx, dk.Wrapped, "pii_1", "phone", blob); err != nil || got != "13812345678" {
		t.Fatalf("Open through transit = %q, %v", got, err)
	}
	// A wrapped key moved to another id fails the bound-id check.
	moved := dk.Wrapped
	moved.ID = "dk_2"
	if _, err := vault.New(kek).Open(ctx, moved, "pii_1", "phone", blob); !vault.IsTampered(err) {
		t.Fatalf("Open with a moved wrapped key = %v; want ErrTampered", err)
	}
	// A wrong version claim is refused before any call.
	wrongVer := dk.Wrapped
	wrongVer.KEKVersion = 2
	if _, err := vault.New(kek).Open(ctx, wrongVer, "pii_1", "phone", blob); !vault.IsTampered(err) {
		t.Fatalf("Open with a wrong version = %v; want ErrTampered", err)
	}
	// Rotate, re-wrap, retire the old version.
	if nv, err := kek.Rotate(ctx); err != nil || nv != 2 {
		t.Fatalf("Rotate = %d, %v", nv, err)
	}
	rw, err := v.Rewrap(ctx, dk.Wrapped)
	if err != nil || rw.KEKVersion != 2 {
		t.Fatalf("Rewrap = %+v, %v", rw, err)
	}
	if err := kek.Retire(ctx, 2); anxin.KindOf(err) != anxin.Invalid {
		t.Fatalf("Retire(latest) = %v; want Invalid", err)
	}
	if err := kek.Retire(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if vs, _ := kek.Versions(ctx); len(vs) != 1 || vs[0] != 2 {
		t.Fatalf("Versions after retire = %v", vs)
	}
	if got, err := vault.New(kek).Open(ctx, rw, "pii_1", "phone", blob); err != nil || got != "13812345678" {
		t.Fatalf("Open after rotation = %q, %v", got, err)
	}
	if _, err := vault.New(kek).Open(ctx, dk.Wrapped, "pii_1", "phone", blob); !vault.IsTampered(err) {
		t.Fatalf("Open with a retired version = %v; want ErrTampered", err)
	}
	// A wrong token or a dead server: Unavailable, with no token in the message.
	bad := &vault.TransitKEK{Addr: srv.URL, Key: "anxin", Token: "s.wrong"}
	if _, _, err := bad.Wrap(ctx, make([]byte, 32), []byte("x")); anxin.KindOf(err) != anxin.Unavailable || strings.Contains(err.Error(), "s.wrong") {
		t.Fatalf("Wrap with a wrong token = %v; want Unavailable without the token", err)
	}
	srv.Close()
	if _, err := kek.Current(ctx); anxin.KindOf(err) != anxin.Unavailable {
		t.Fatalf("Current on a dead KMS = %v; want Unavailable", err)
	}
}
