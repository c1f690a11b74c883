package sqlstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// TestCrashHelperProcess is not a test: TestCrashBetweenDecisionAndPayout
// runs the test binary again with ANXIN_CRASH_DSN set, and this function
// then files a claim whose payout blocks after the decision is written,
// until the parent kills the process with SIGKILL.
func TestCrashHelperProcess(t *testing.T) {
	dsn := os.Getenv("ANXIN_CRASH_DSN")
	if dsn == "" {
		t.Skip("helper process for TestCrashBetweenDecisionAndPayout")
	}
	db, err := sqlstore.Open(context.Background(), dsn, anxintest.NewClock(protT0))
	if err != nil {
		fmt.Println("OPEN", err)
		os.Exit(3)
	}
	s := sqlstore.NewProtectionService(db)
	s.BeforePayout = func(id string) {
		fmt.Println("DECIDED", id)
		time.Sleep(time.Minute) // killed here
	}
	_, _, err = s.FileClaim(protPlatformCtx, crashClaim)
	fmt.Println("UNEXPECTED", err)
	os.Exit(4)
}

var crashClaim = anxin.ClaimInput{Key: "crash-1", OrderID: "o1", BuyerID: "b1", ProgrammeID: "instant_refund", Type: "unshipped_refund"}

func TestCrashBetweenDecisionAndPayout(t *testing.T) {
	if os.Getenv("ANXIN_CRASH_DSN") != "" {
		t.Skip("inside the helper")
	}
	dbs := map[string]string{"sqlite": filepath.Join(t.TempDir(), "crash.db")}
	if os.Getenv("ANXIN_TEST_POSTGRES") != "" {
		dbs["postgres"] = sqltest.PostgresDSN(t)
	}
	for name, dsn := range dbs {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, err := sqlstore.Open(ctx, dsn, anxintest.NewClock(protT0))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			s := newProtection(t, db)
			mirror(t, db, order{id: "o1", buyer: "b1", merchant: "m1", category: "home", total: 7700})
			event(t, db, s, anxin.EventOrderPaid, map[string]string{"order_id": "o1"})

			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.v")
			cmd.Env = append(os.Environ(), "ANXIN_CRASH_DSN="+dsn)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			decided := make(chan string, 1)
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					if id, ok := strings.CutPrefix(sc.Text(), "DECIDED "); ok {
						decided <- id
						return
					}
				}
				close(decided)
			}()
			select {
			case id, ok := <-decided:
				if !ok {
					t.Fatal("the helper exited before deciding")
				}
				t.Logf("claim %s decided; killing the helper before its payout", id)
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatal("the helper did not reach the decision")
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()

			// Restart: the books balance and nothing half-done is left.
			verify(t, db)
			if n := count(t, db, `SELECT COUNT(*) FROM claims`); n != 0 {
				t.Fatalf("claims after the crash = %d; want 0 (rolled back with the decision)", n)
			}
			// The marketplace retries the request: one claim, one payout.
			for i := 0; i < 2; i++ {
				c, _, err := s.FileClaim(protPlatformCtx, crashClaim)
				if err != nil || c.Payout == nil || c.Payout.AmountFen != 7700 {
					t.Fatalf("retry %d after crash = %+v, %v", i, c, err)
				}
			}
			if n := count(t, db, `SELECT COUNT(*) FROM payouts`); n != 1 {
				t.Fatalf("payouts = %d; want 1", n)
			}
			verify(t, db)
		})
	}
}
