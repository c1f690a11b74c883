package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"anxin"
)

// runCaptured calls run with os.Stdout redirected to a file and returns the
// exit code and what was printed.
func runCaptured(t *testing.T, args ...string) (int, string) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdout
	os.Stdout = f
	code := run(context.Background(), args)
	os.Stdout = old
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return code, string(b)
}

func TestDemoSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo takes a few seconds")
	}
	// A step sees the fed marketplace, the clock at the period's end and
	// a client that acts with any key.
	var stepRan bool
	saved := demoSteps
	t.Cleanup(func() { demoSteps = saved })
	demoSteps = append(append([]demoStep(nil), saved...), demoStep{"test", func(ctx context.Context, env *demoEnv) error {
		stepRan = true
		if now := env.Clock.Now(); now.Before(env.World.Period.To) {
			t.Errorf("a step runs at %v, before the period's end %v", now, env.World.Period.To)
		}
		m := env.World.Merchants[0].ID
		k, err := env.key(ctx, anxin.Role("merchant:"+m))
		if err != nil {
			return err
		}
		for key, want := range map[string]anxin.Role{env.Operator: anxin.RoleOperator, env.Platform: anxin.RolePlatform, k: anxin.Role("merchant:" + m)} {
			var a anxin.Actor
			if err := env.get(ctx, key, "/v1/whoami", &a); err != nil || a.Role != want {
				t.Errorf("whoami = %v, %v; want %s", a.Role, err, want)
			}
		}
		// API errors come back with their kind.
		if err := env.post(ctx, env.Platform, "/v1/events", map[string]any{"events": []any{}}, nil); anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("posting an empty batch = %v; want Invalid", err)
		}
		return nil
	}})

	dir := filepath.Join(t.TempDir(), "demo")
	start := time.Now()
	code, out := runCaptured(t, "demo", "--scale", "small", "--seed", "7", "--no-serve", "--data", dir)
	if code != 0 {
		t.Fatalf("anxin demo --no-serve exited %d; output:\n%s", code, out)
	}
	t.Logf("demo took %v", time.Since(start))
	if !stepRan {
		t.Error("the registered demo step did not run")
	}
	for _, want := range []string{
		"# Anxin consumer-protection report",
		"## Marketplace volume",
		"| Orders created | 10,000 |",
		"0 duplicates",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q; output:\n%s", want, out)
		}
	}

	// Detection against the simulator's ground truth. The simulator writes
	// its texts independently of the default pack (sim/textgen.go), so these
	// are honest floors under what the pack achieves on seed 7, not 1.000.
	for _, q := range []struct {
		line              string
		precision, recall float64
	}{{"listings with coded language:", 0.90, 0.90}, {"content:", 0.80, 0.90}} {
		i := strings.Index(out, q.line)
		var p, r float64
		if i < 0 {
			t.Errorf("demo output lacks %q", q.line)
			continue
		}
		if _, err := fmt.Sscanf(out[i+len(q.line):], " precision %f recall %f", &p, &r); err != nil {
			t.Errorf("demo line %q: %v", q.line, err)
			continue
		}
		t.Logf("%s precision %.3f recall %.3f", q.line, p, r)
		if p < q.precision || r < q.recall {
			t.Errorf("%s precision %.3f recall %.3f; want ≥ %.2f and ≥ %.2f", q.line, p, r, q.precision, q.recall)
		}
	}

	// The dir now holds a demo: a second run is refused unless cleared.
	if code, _ := runCaptured(t, "demo", "--no-serve", "--data", dir); code != 1 {
		t.Errorf("demo on a used dir exited %d; want 1", code)
	}
	// The report command reads the demo's database.
	code, out = runCaptured(t, "report", "--data", dir, "--from", "2026-01-01", "--to", "2026-01-31", "--format", "json")
	if code != 0 || !strings.Contains(out, `"orders": 10000`) {
		t.Errorf("report on the demo = %d %.300q; want the 10,000 orders", code, out)
	}
}

func TestDemoDirSafety(t *testing.T) {
	dir := t.TempDir()
	// A database that is not a demo's is never cleared.
	if err := os.WriteFile(filepath.Join(dir, "anxin.db"), []byte("production"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := prepareDemoDir(dir, true); err == nil {
		t.Fatal("prepareDemoDir(--clear) removed a database without the demo marker")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "anxin.db")); string(b) != "production" {
		t.Fatal("the database was touched")
	}
	// A demo's files are cleared with --clear and refused without it.
	os.WriteFile(filepath.Join(dir, demoMarker), []byte("{}"), 0o600)
	if err := prepareDemoDir(dir, false); err == nil {
		t.Error("prepareDemoDir without --clear accepted a used dir")
	}
	if err := prepareDemoDir(dir, true); err != nil {
		t.Fatalf("prepareDemoDir(--clear) = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "anxin.db")); !os.IsNotExist(err) {
		t.Error("--clear left the old database")
	}
	// A console address in use is refused before anything is built.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := t.TempDir()
	if code, _ := runCaptured(t, "demo", "--data", busy, "--addr", ln.Addr().String()); code != 1 {
		t.Errorf("demo on a busy address exited %d; want 1", code)
	}
	if entries, _ := os.ReadDir(busy); len(entries) != 0 {
		t.Errorf("demo on a busy address left %d files in its data dir", len(entries))
	}
	for _, args := range [][]string{{"--scale", "huge"}, {"--days", "0"}, {"--bogus"}} {
		if code, _ := runCaptured(t, append([]string{"demo", "--data", t.TempDir(), "--no-serve"}, args...)...); code == 0 {
			t.Errorf("demo %v exited 0; want an error", args)
		}
	}
}
