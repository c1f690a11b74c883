package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"anxin"
	"anxin/dsa"
	"anxin/sqlstore"
)

func TestStatementsExportCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := runMigrate(ctx, []string{"--data", dir}); err != nil {
		t.Fatal(err)
	}
	db, err := (&dbFlags{data: dir}).open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	g := sqlstore.NewGovernanceService(db)
	if err := g.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	pctx := anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "k", Role: anxin.RolePlatform})
	ds, err := g.CheckListings(pctx, []*anxin.ListingCheck{{ID: "l1", MerchantID: "m1", Title: "高仿 LV 包"}})
	if err != nil || ds[0].StatementID == "" {
		t.Fatalf("check: %v %+v; want a block with a statement", err, ds)
	}
	db.Close()

	today := time.Now().In(anxin.MarketplaceTZ).Format(time.DateOnly)
	out := filepath.Join(dir, "dsa.json")
	if err := runStatements(ctx, []string{"export", "--format", "dsa", "--data", dir, "--from", today, "--to", today, "--out", out}); err != nil {
		t.Fatalf("export: %v", err)
	}
	b, _ := os.ReadFile(out)
	var got struct{ Statements []dsa.Submission }
	if err := json.Unmarshal(b, &got); err != nil || len(got.Statements) == 0 {
		t.Fatalf("export wrote %.200s (%v); want statements", b, err)
	}
	for _, s := range got.Statements {
		if err := dsa.Validate(s); err != nil {
			t.Errorf("%s: %v", s.PUID, err)
		}
	}
	for _, args := range [][]string{
		{"export", "--format", "csv", "--data", dir},
		{"export", "--format", "dsa", "--data", dir, "--territorial-scope", "XX"},
		{"export", "--format", "dsa", "--data", dir, "--from", "2026-01-01", "--to", "2026-01-02"},
		{"export", "--format", "dsa", "--data", filepath.Join(dir, "nope")},
	} {
		if err := runStatements(ctx, args); err == nil {
			t.Errorf("statements %v succeeded; want a clear error", args)
		}
	}
}
