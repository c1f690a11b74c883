package main

import (
	"context"
	"encoding/json"
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
	// A step queues timed actions before the feed; each runs inside the
	// period with the clock at its time, sees the marketplace as the
	// mirror holds it then and acts with any key; actions due after the
	// period never run.
	var stepRan, lateRan bool
	saved := demoSteps
	t.Cleanup(func() { demoSteps = saved })
	demoSteps = append(append([]demoStep(nil), saved...), demoStep{"test", func(ctx context.Context, env *demoEnv) error {
		p := env.World.Period
		want := p.From.Add(36*time.Hour + 17*time.Minute)
		env.at(p.To.Add(time.Minute), func(ctx context.Context) error { lateRan = true; return nil })
		env.at(want, func(ctx context.Context) error {
			stepRan = true
			if now := env.Clock.Now(); now.Before(want) || now.After(want.Add(time.Minute)) {
				t.Errorf("an action due at %v runs at %v", want, now)
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
		})
		return nil
	}, nil})

	dir := filepath.Join(t.TempDir(), "demo")
	start := time.Now()
	code, out := runCaptured(t, "demo", "--scale", "small", "--seed", "7", "--no-serve", "--data", dir)
	if code != 0 {
		t.Fatalf("anxin demo --no-serve exited %d; output:\n%s", code, out)
	}
	t.Logf("demo took %v", time.Since(start))
	if !stepRan {
		t.Error("the registered demo step's action did not run")
	}
	if lateRan {
		t.Error("an action due after the period ran")
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

	// The quality watch sees the simulator's cold-chain failure.
	if !strings.Contains(out, "of the 2 cold-chain failure days") || strings.Contains(out, "alerts on 0 of the 2 cold-chain failure days") {
		t.Errorf("the quality watch missed the planted cold-chain failure; output:\n%s", out)
	}

	// Detection against the simulator's ground truth. The simulator writes
	// its texts independently of the default pack (sim/textgen.go), so these
	// are honest floors under what the pack achieves on seed 7, not 1.000.
	for _, q := range []struct {
		line              string
		precision, recall float64
		// Regression floors under what the demo measured (seed 7): listings
		// 1.000 / 0.969; content 0.649 / 0.980. Content precision is low
		// mostly because of the simulator's labels: every segment of a
		// stream selling counterfeits shows the counterfeit in its frame,
		// and the image rule rightly flags it, but the simulator labels
		// only the segment that says the coded term as violating (26 of the
		// 29 false flags on seed 1). The rest are the engine's: hosts'
		// warnings against private trades (私下交易, 私下转账) read as
		// invitations to trade off the platform.
	}{{"listings with coded language:", 0.90, 0.90}, {"content:", 0.60, 0.90}} {
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
	// The report command reads the demo's database; for exactly the
	// simulated period (30 days from 2026-01-01) every capability shows
	// what it did inside it, with real timings.
	code, out = runCaptured(t, "report", "--data", dir, "--from", "2026-01-01", "--to", "2026-01-30", "--format", "json")
	if code != 0 || !strings.Contains(out, `"orders": 10000`) {
		t.Fatalf("report on the demo = %d %.300q; want the 10,000 orders", code, out)
	}
	var rep map[string]map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report JSON: %v", err)
	}
	t.Logf("report for the period: %s", out)
	for _, c := range demoReportFloors {
		v, ok := rep[c.section][c.metric].(float64)
		if !ok || v < c.min {
			t.Errorf("report %s.%s = %v; want at least %v", c.section, c.metric, rep[c.section][c.metric], c.min)
		}
	}
}

// demoReportFloors are the figures the report for the small demo's period
// (seed 7) must reach: every section's activity happened inside the period.
// The floors sit below what the demo measures, so a change of seed-driven
// detail does not break them while an empty or squashed month does.
var demoReportFloors = []struct {
	section, metric string
	min             float64
}{
	{"governance", "listings_checked", 1500},
	{"governance", "reviews_opened", 1},
	{"governance", "appeals_decided", 1},
	{"governance", "listings_delisted", 1},
	// Every seller the simulator's truth says was blocked wrongly appeals
	// and is overturned. On seed 7 the engine blocks nothing the truth
	// calls clean (the look-alikes included); the overturns come from the
	// sellers the brand registry lacks, whom the reviewer blocks until
	// they show their authorisation letter.
	{"governance", "appeals_overturned", 1},
	{"protection", "claims_total", 100},
	{"protection", "fund_paid_fen", 1},
	{"protection", "refund_time_p50_s", 60}, // decided at filing, but the marketplace's payment rail takes minutes
	{"protection", "refund_time_p90_s", 3600},
	{"protection", "merchants_enrolled", 50},
	{"care", "tickets_total", 300},
	{"care", "first_response_p50_s", 600},
	{"care", "resolution_72h_rate", 0.5},
	{"care", "surveys_answered", 50},
	{"care", "sla_breaches", 1},
	{"sampling", "samples_total", 30},
	{"sampling", "labs_used", 2},
	{"sampling", "failures_intercepted", 1},
	{"quality", "campaigns_total", 1},
	{"quality", "monitors", 3},
	{"quality", "alerts", 1}, // the simulator's cold-chain failure
	{"ip", "notices", 10},
	{"ip", "links_removed", 5},
	{"ip", "counter_notices", 1},
	{"ip", "shops_banned", 1},                    // the simulator's repeat infringer
	{"ip", "takedown_time_reviewed_p50_s", 3600}, // the IP team reviews in office hours
	{"privacy", "masked_waybill_rate", 0.8},
	{"privacy", "sealed_field_rate", 0.9},
	{"privacy", "alerts_total", 2},
	{"privacy", "decrypts_by_purpose_after_sales", 10},
	{"privacy", "decrypts_by_purpose_care", 10},
	{"privacy", "decrypts_by_purpose_delivery", 10},
	{"privacy", "decrypts_by_purpose_legal", 1},
	{"privacy", "alerts_confirmed", 1},      // the planted bulk decrypt
	{"privacy", "alerts_false_positive", 1}, // the night shift's odd-hours alert
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
	for _, args := range [][]string{{"--scale", "huge"}, {"--days", "0"}, {"--days", "10000"}, {"--days", "-3"}, {"--bogus"}} {
		if code, _ := runCaptured(t, append([]string{"demo", "--data", t.TempDir(), "--no-serve"}, args...)...); code == 0 {
			t.Errorf("demo %v exited 0; want an error", args)
		}
	}
}
