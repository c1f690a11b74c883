package vault_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"anxin"
	"anxin/vault"
)

func testKEK(t testing.TB) *vault.FileKEK {
	t.Helper()
	k, err := vault.OpenFileKEK(filepath.Join(t.TempDir(), "vault.kek"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRoundTripAndTamper(t *testing.T) {
	ctx := context.Background()
	v := vault.New(testKEK(t))
	dk, err := v.NewDataKey(ctx, "dk_1")
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{"", "张三", "13812345678", strings.Repeat("路", 300)} {
		blob, err := dk.Seal("pii_1", "name", plain)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(blob, plain) && plain != "" {
			t.Fatalf("Seal(%q) contains the plaintext", plain)
		}
		got, err := v.Open(ctx, dk.Wrapped, "pii_1", "name", blob)
		if err != nil || got != plain {
			t.Fatalf("Open(Seal(%q)) = %q, %v", plain, got, err)
		}
		again, _ := dk.Seal("pii_1", "name", plain)
		if again == blob {
			t.Fatalf("Seal(%q) twice gave the same blob; nonces must be fresh", plain)
		}
	}
	blob, _ := dk.Seal("pii_1", "phone", "13812345678")
	// a fresh vault (no cache) must unwrap the stored key to open
	v2 := vault.New(v.KEK())
	if got, err := v2.Open(ctx, dk.Wrapped, "pii_1", "phone", blob); err != nil || got != "13812345678" {
		t.Fatalf("Open on a cold vault = %q, %v", got, err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(blob[3:])
	raw[len(raw)-1] ^= 1
	flipped := "s1." + base64.RawURLEncoding.EncodeToString(raw)
	bad := []struct{ name, record, field, blob string }{
		{"moved to another record", "pii_2", "phone", blob},
		{"moved to another field", "pii_1", "name", blob},
		{"bit flipped", "pii_1", "phone", flipped},
		{"truncated", "pii_1", "phone", blob[:20]},
		{"not a blob", "pii_1", "phone", "13812345678"},
		{"empty", "pii_1", "phone", ""},
	}
	for _, tt := range bad {
		got, err := v.Open(ctx, dk.Wrapped, tt.record, tt.field, tt.blob)
		if !vault.IsTampered(err) || got != "" {
			t.Errorf("%s: Open = %q, %v; want ErrTampered and nothing", tt.name, got, err)
		}
		if err != nil && strings.Contains(err.Error(), "13812345678") {
			t.Errorf("%s: error reveals the plaintext", tt.name)
		}
	}
	// a wrapped key moved to another key id fails to unwrap
	moved := dk.Wrapped
	moved.ID = "dk_2"
	if _, err := v2.Open(ctx, moved, "pii_1", "phone", blob); !vault.IsTampered(err) {
		t.Fatalf("Open with a wrapped key under another id = %v; want ErrTampered", err)
	}
}

func TestFileKEKRotateRetire(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d", "vault.kek")
	kek, err := vault.OpenFileKEK(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %o; want 600", st.Mode().Perm())
	}
	v := vault.New(kek)
	dk, _ := v.NewDataKey(ctx, "dk_1")
	blob, _ := dk.Seal("r", "f", "secret")
	// another process (the CLI) rotates
	other, err := vault.OpenFileKEK(path)
	if err != nil {
		t.Fatal(err)
	}
	nv, err := other.Rotate(ctx)
	if err != nil || nv != 2 {
		t.Fatalf("Rotate = %d, %v; want 2", nv, err)
	}
	if cur, _ := kek.Current(ctx); cur != 2 {
		t.Fatalf("the first process sees current %d after rotation; want 2", cur)
	}
	rw, err := vault.New(other).Rewrap(ctx, dk.Wrapped)
	if err != nil || rw.KEKVersion != 2 {
		t.Fatalf("Rewrap = %+v, %v", rw, err)
	}
	if err := other.Retire(ctx, 2); anxin.KindOf(err) != anxin.Invalid {
		t.Fatalf("Retire(current) = %v; want Invalid", err)
	}
	if err := other.Retire(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got, err := vault.New(kek).Open(ctx, rw, "r", "f", blob); err != nil || got != "secret" {
		t.Fatalf("Open after rewrap and retire = %q, %v", got, err)
	}
	if _, err := vault.New(kek).Open(ctx, dk.Wrapped, "r", "f", blob); anxin.KindOf(err) != anxin.NotFound {
		t.Fatalf("Open with a key wrapped by a retired version = %v; want NotFound", err)
	}
	os.Chmod(path, 0o644)
	if _, err := vault.OpenFileKEK(path); anxin.KindOf(err) != anxin.Invalid {
		t.Fatalf("OpenFileKEK(world-readable) = %v; want Invalid", err)
	}
}

func TestEnvKEK(t *testing.T) {
	ctx := context.Background()
	k1 := make([]byte, 32)
	k2 := make([]byte, 32)
	rand.Read(k1)
	rand.Read(k2)
	e1, err := vault.ParseEnvKEK(base64.StdEncoding.EncodeToString(k1))
	if err != nil {
		t.Fatal(err)
	}
	dk, _ := vault.New(e1).NewDataKey(ctx, "dk")
	both, err := vault.ParseEnvKEK("1:" + base64.StdEncoding.EncodeToString(k1) + ",2:" + base64.StdEncoding.EncodeToString(k2))
	if err != nil {
		t.Fatal(err)
	}
	if cur, _ := both.Current(ctx); cur != 2 {
		t.Fatalf("Current = %d; want 2", cur)
	}
	rw, err := vault.New(both).Rewrap(ctx, dk.Wrapped)
	if err != nil || rw.KEKVersion != 2 {
		t.Fatalf("Rewrap = %+v, %v", rw, err)
	}
	for _, bad := range []string{"", "not base64!", "1:abc", "x:" + base64.StdEncoding.EncodeToString(k1), base64.StdEncoding.EncodeToString(k1[:16]), "0:" + base64.StdEncoding.EncodeToString(k1)} {
		if _, err := vault.ParseEnvKEK(bad); anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("ParseEnvKEK(%q) = %v; want Invalid", bad, err)
		}
	}
}

func TestIndexer(t *testing.T) {
	s1 := make([]byte, 32)
	s2 := make([]byte, 32)
	rand.Read(s1)
	rand.Read(s2)
	a, _ := vault.NewIndexer(s1)
	b, _ := vault.NewIndexer(s2)
	if a.Digest(vault.IndexPhone, "13812345678") != a.Digest(vault.IndexPhone, "13812345678") {
		t.Fatal("Digest is not deterministic")
	}
	if a.Digest(vault.IndexPhone, "5678") == a.Digest(vault.IndexLast4, "5678") {
		t.Fatal("kinds share a key")
	}
	if a.Digest(vault.IndexLast4, "5678") == b.Digest(vault.IndexLast4, "5678") {
		t.Fatal("different secrets give the same digest")
	}
	if d := a.Digest(vault.IndexLast4, "5678"); len(d) != 32 || strings.Contains(d, "5678") {
		t.Fatalf("Digest = %q", d)
	}
}
