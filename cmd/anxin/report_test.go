package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"anxin"
)

func TestReportCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := runMigrate(ctx, []string{"--data", dir}); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := reportTo(ctx, []string{"--data", dir, "--from", "2026-01-01", "--to", "2026-03-31", "--format", "json"}, &b); err != nil {
		t.Fatalf("report --format json: %v", err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(b.Bytes(), &got); err != nil || got["period"] == nil || got["volume"] == nil {
		t.Fatalf("report --format json printed %.200q (%v); want period and volume", b.String(), err)
	}
	for _, args := range [][]string{
		{"--format", "pdf"},
		{"--from", "2026-01-32"},
		{"--from", "2026-02-01", "--to", "2026-01-01"},
	} {
		err := reportTo(ctx, append([]string{"--data", dir}, args...), &b)
		if anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("report %v = %v; want Invalid", args, err)
		}
	}
	// An unmigrated database is refused, not reported on.
	if err := reportTo(ctx, []string{"--data", t.TempDir()}, &b); err == nil {
		t.Error("report on an empty data dir succeeded; want a schema error")
	}
}
