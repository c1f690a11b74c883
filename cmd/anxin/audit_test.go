package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"anxin/sqlstore"
)

// TestAuditAnchorCommand: "anxin keys create" audits the creation; "anxin
// audit anchor" writes a signed checkpoint; "audit verify --anchor" passes,
// then exits 1 once the newest rows are deleted and an older genuine head
// restored (which verify without the anchor cannot see), and refuses an
// edited anchor file.
func TestAuditAnchorCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if code := run(ctx, []string{"migrate", "--data", dir}); code != 0 {
		t.Fatalf("migrate exit %d", code)
	}
	for i := 0; i < 3; i++ {
		if code := run(ctx, []string{"keys", "create", "--role", "privacy", "--name", "dpo", "--data", dir}); code != 0 {
			t.Fatalf("keys create exit %d", code)
		}
	}
	db, err := sqlstore.Open(ctx, filepath.Join(dir, "anxin.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	var actor string
	db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(actor_key) FROM privacy_audit WHERE action = 'key_create'`).Scan(&n, &actor)
	if n != 3 || actor != "local" {
		t.Fatalf("key_create audit rows = %d by %q; want 3 by local", n, actor)
	}
	var seq2 int64
	var hash2, mac2 string
	db.QueryRowContext(ctx, `SELECT seq, hash, mac FROM privacy_audit_head`).Scan(&seq2, &hash2, &mac2)
	if code := run(ctx, []string{"keys", "create", "--role", "admin", "--data", dir}); code != 0 {
		t.Fatal("keys create admin failed")
	}
	anchor := filepath.Join(dir, "anchor.json")
	if code := run(ctx, []string{"audit", "anchor", "--out", anchor, "--data", dir}); code != 0 {
		t.Fatalf("audit anchor exit %d", code)
	}
	if code := run(ctx, []string{"audit", "verify", "--anchor", anchor, "--data", dir}); code != 0 {
		t.Fatalf("audit verify --anchor exit %d; want 0", code)
	}
	// Truncate to the genuine head of three rows ago.
	if _, err := db.ExecContext(ctx, `DELETE FROM privacy_audit WHERE seq > ?`, seq2); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE privacy_audit_head SET seq = ?, hash = ?, mac = ?`, seq2, hash2, mac2); err != nil {
		t.Fatal(err)
	}
	if code := run(ctx, []string{"audit", "verify", "--data", dir}); code != 0 {
		t.Fatalf("audit verify without anchor exit %d; the truncation is consistent in the database alone", code)
	}
	if code := run(ctx, []string{"audit", "verify", "--anchor", anchor, "--data", dir}); code != 1 {
		t.Fatalf("audit verify --anchor after truncation exit %d; want 1", code)
	}
	b, _ := os.ReadFile(anchor)
	edited := filepath.Join(dir, "edited.json")
	os.WriteFile(edited, []byte(strings.Replace(string(b), `"seq": `, `"seq": 1`, 1)), 0o600)
	if code := run(ctx, []string{"audit", "verify", "--anchor", edited, "--data", dir}); code != 1 {
		t.Fatalf("audit verify with an edited anchor exit %d; want 1", code)
	}
	if code := run(ctx, []string{"audit", "verify", "--anchor", filepath.Join(dir, "nope.json"), "--data", dir}); code == 0 {
		t.Fatal("audit verify with a missing anchor file succeeded")
	}
	if code := run(ctx, []string{"audit", "anchor", "--data", dir}); code == 0 {
		t.Fatal("audit anchor without --out succeeded")
	}
}
