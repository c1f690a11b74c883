package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// TestClaimsCrash files instant-refund claims from 32 clients against
// `anxin serve`, kills the server with SIGKILL while group commits of
// decisions are in flight, restarts it and files every claim again with
// the same idempotency key. Each claim must be paid exactly once, each
// answer before the crash must name the claim the replay finds, and
// `anxin ledger verify` must pass. It runs on SQLite, and on PostgreSQL
// too when ANXIN_TEST_POSTGRES is set; like the other process tests it
// needs ANXIN_TEST_FAILOVER:
//
//	ANXIN_TEST_FAILOVER=1 go test -count=1 -run TestClaimsCrash -v ./cmd/anxin/
func TestClaimsCrash(t *testing.T) {
	if os.Getenv("ANXIN_TEST_FAILOVER") == "" {
		t.Skip("ANXIN_TEST_FAILOVER is not set")
	}
	bin := buildAnxin(t)
	t.Run("sqlite", func(t *testing.T) { claimsCrash(t, bin, filepath.Join(t.TempDir(), "anxin.db")) })
	if os.Getenv("ANXIN_TEST_POSTGRES") != "" {
		t.Run("postgres", func(t *testing.T) { claimsCrash(t, bin, sqltest.PostgresDSN(t)) })
	}
}

// crashClaims is how many claims a crash run files; the server is killed
// after crashAfter of them were answered.
const (
	crashClaims = 3000
	crashAfter  = 1000
)

func claimsCrash(t *testing.T, bin, dsn string) {
	ctx := context.Background()
	cmd := exec.Command(bin, "migrate", "--db", dsn)
	cmd.Dir = t.TempDir() // nothing is written beside the sources
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("anxin migrate: %v\n%s", err, out)
	}
	db, err := sqlstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key, _, err := sqlstore.NewKeyService(db).CreateKey(ctx, "crash", anxin.RolePlatform)
	if err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	rand.Read(b[:])
	target := &claimsTarget{run: hex.EncodeToString(b[:]), orders: crashClaims}
	client := &http.Client{Timeout: 30 * time.Second}

	r := startReplica(t, "serve", bin, "--db", dsn)
	killed := false
	defer func() {
		if !killed {
			r.kill()
		}
	}()
	cfg := benchConfig{addr: "http://" + r.addr, key: key}
	if err := target.prepare(ctx, cfg, client); err != nil {
		t.Fatal(err)
	}

	// Before the crash: answered ids by claim index ("" when unanswered).
	before := make([]string, crashClaims)
	var answered, next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	start := time.Now()
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= crashClaims {
					return
				}
				id, status := fileClaim(client, cfg, target, i)
				if status == 0 {
					return // the server is gone
				}
				if status != http.StatusCreated {
					t.Errorf("claim %d before the crash: status %d", i, status)
					return
				}
				before[i] = id
				if answered.Add(1) == crashAfter {
					once.Do(func() {
						r.kill()
						killed = true
					})
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d claims answered in %.1fs before SIGKILL", answered.Load(), time.Since(start).Seconds())
	if !killed {
		t.Fatal("every claim was answered before the server could be killed")
	}

	r2 := startReplica(t, "serve after the crash", bin, "--db", dsn)
	defer r2.stop()
	cfg.addr = "http://" + r2.addr
	replayed := 0
	for i := range crashClaims {
		id, status := fileClaim(client, cfg, target, i)
		switch {
		case status == http.StatusOK:
			replayed++
		case status == http.StatusCreated && before[i] == "":
		default:
			t.Fatalf("claim %d after the crash: status %d (answered %q before)", i, status, before[i])
		}
		if before[i] != "" && id != before[i] {
			t.Errorf("claim %d: %s before the crash, %s after", i, before[i], id)
		}
	}
	t.Logf("replay: %d claims were stored before the crash, %d filed now", replayed, crashClaims-replayed)
	if replayed < int(answered.Load()) {
		t.Errorf("%d claims found on replay; %d were answered before the crash", replayed, answered.Load())
	}

	var claims, payouts, paid int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(p.id), COUNT(DISTINCT p.claim_id) FROM claims c LEFT JOIN payouts p ON p.claim_id = c.id
		WHERE c.idem_key LIKE ?`, "bench-"+target.run+"-%").Scan(&claims, &payouts, &paid); err != nil {
		t.Fatal(err)
	}
	if claims != crashClaims || payouts != crashClaims || paid != crashClaims {
		t.Errorf("%d claims, %d payouts for %d claims; want %d each, paid once", claims, payouts, paid, crashClaims)
	}
	cmd = exec.Command(bin, "ledger", "verify", "--db", dsn)
	cmd.Dir = t.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("anxin ledger verify: %v\n%s", err, out)
	}
}

// fileClaim posts claim i of target and returns the claim's id and the
// status (0 when the server did not answer).
func fileClaim(client *http.Client, cfg benchConfig, target *claimsTarget, i int) (string, int) {
	_, body, _, _ := target.next(i)
	req, err := http.NewRequest(http.MethodPost, cfg.addr+"/v1/claims", bytes.NewReader(body))
	if err != nil {
		return "", 0
	}
	req.Header.Set("Authorization", "Bearer "+cfg.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", 0
	}
	defer resp.Body.Close()
	var c anxin.Claim
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return "", 0
	}
	if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
		if c.Status != anxin.ClaimApproved {
			return c.ID, -resp.StatusCode // approved claims only: the bench's orders qualify
		}
	}
	return c.ID, resp.StatusCode
}
