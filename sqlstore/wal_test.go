package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWALTruncatedWhenOverLimit writes more than the limit through the log
// while a reader holds an old snapshot open, and checks that the passive
// checkpoint cannot shrink the file but the truncating one does once the
// reader is gone.
func TestWALTruncatedWhenOverLimit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "anxin.db")
	db, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	close(db.stopCheckpoints) // the test drives the checkpoints itself
	db.stopCheckpoints = nil
	db.walLimit = 1 << 20

	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE blob (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	// An unfinished query holds its read snapshot, as a slow reader would.
	if _, err := db.SQL.ExecContext(ctx, `INSERT INTO blob (v) VALUES ('a'), ('b')`); err != nil {
		t.Fatal(err)
	}
	reader, err := db.SQL.QueryContext(ctx, `SELECT v FROM blob`)
	if err != nil {
		t.Fatal(err)
	}
	if !reader.Next() {
		t.Fatal("reader: no row")
	}
	row := strings.Repeat("x", 64<<10)
	for range 48 { // 3 MiB in the log, three times the limit
		if _, err := db.SQL.ExecContext(ctx, `INSERT INTO blob (v) VALUES (?)`, row); err != nil {
			t.Fatal(err)
		}
	}
	if truncated, err := db.checkpoint(ctx, path); err != nil || truncated {
		t.Fatalf("checkpoint with an old reader: truncated %v, err %v; want no truncation", truncated, err)
	}
	if walSize(t, path) <= db.walLimit {
		t.Fatalf("log %d bytes; the test needs it over the %d limit", walSize(t, path), db.walLimit)
	}
	reader.Close()
	truncated, err := db.checkpoint(ctx, path)
	if err != nil || !truncated {
		t.Fatalf("checkpoint after the reader left: truncated %v, err %v; want truncation", truncated, err)
	}
	if got := walSize(t, path); got != 0 {
		t.Fatalf("log %d bytes after truncation; want 0", got)
	}
	var n int
	if err := db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM blob`).Scan(&n); err != nil || n != 50 {
		t.Fatalf("rows after truncation: %d, %v; want 50", n, err)
	}
	// Under the limit nothing is truncated.
	if _, err := db.SQL.ExecContext(ctx, `INSERT INTO blob (v) VALUES ('y')`); err != nil {
		t.Fatal(err)
	}
	if truncated, err := db.checkpoint(ctx, path); err != nil || truncated {
		t.Fatalf("small log: truncated %v, err %v; want none", truncated, err)
	}
}

func walSize(t *testing.T, path string) int64 {
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
