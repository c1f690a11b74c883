package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/vault"
)

// TestVaultAndAuditCommands runs "anxin vault rotate/retire/status" and
// "anxin audit verify" on a data directory, then edits an audit row with SQL
// and expects verify to fail.
func TestVaultAndAuditCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if code := run(ctx, []string{"migrate", "--data", dir}); code != 0 {
		t.Fatalf("migrate exit %d", code)
	}
	db, err := sqlstore.Open(ctx, filepath.Join(dir, "anxin.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kek, err := vault.OpenFileKEK(filepath.Join(dir, "vault.kek"))
	if err != nil {
		t.Fatal(err)
	}
	s := sqlstore.NewVaultService(db, vault.New(kek), sqlstore.PrivacyConfig{})
	now := time.Now().UnixMilli()
	if _, err := db.ExecContext(ctx, `INSERT INTO orders (id, merchant_id, status, created_at, paid_at, updated_at) VALUES ('o1', 'm1', 'paid', ?, ?, ?)`, now, now, now); err != nil {
		t.Fatal(err)
	}
	platform := anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "k1", Role: anxin.RolePlatform})
	if _, err := s.SealPII(platform, "o1", &anxin.PIIInput{Name: "张三", Phone: "13812345678", Address: "北京市朝阳区建国路8号"}); err != nil {
		t.Fatal(err)
	}
	privacy := anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "k2", Role: anxin.RolePrivacy})
	for i := 0; i < 3; i++ {
		if err := s.CreateGrant(privacy, &anxin.PIIGrant{Role: anxin.RoleCare, Purpose: anxin.PurposeCare, OrderID: "o1", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"audit", "verify", "--data", dir},
		{"vault", "rotate", "--data", dir},
		{"vault", "retire", "--data", dir},
		{"vault", "status", "--data", dir},
	} {
		if code := run(ctx, args); code != 0 {
			t.Fatalf("anxin %v exit %d; want 0", args, code)
		}
	}
	vers, _ := kek.Versions(ctx)
	if len(vers) != 1 || vers[0] != 2 {
		t.Fatalf("KEK versions after rotate and retire = %v; want [2]", vers)
	}
	p, err := sqlstore.NewVaultService(db, vault.New(kek), sqlstore.PrivacyConfig{}).MaskedPII(platform, "o1")
	if err != nil || p.Phone != "138****5678" {
		t.Fatalf("MaskedPII after rotation = %+v, %v", p, err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE privacy_audit SET actor_key = 'someone_else' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	if code := run(ctx, []string{"audit", "verify", "--data", dir}); code != 1 {
		t.Fatalf("audit verify after an edit exit %d; want 1", code)
	}
	if code := run(ctx, []string{"vault", "bogus"}); code != 2 {
		t.Fatalf("vault bogus exit %d; want 2", code)
	}
}
