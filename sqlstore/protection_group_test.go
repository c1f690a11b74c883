package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/ledger"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// TestClaimGroupRollsBackOneBody runs ten bodies through the claims' group
// commit, nine of them in one group; one of those fails after booking its
// posting. It alone must fail, with its own error: its posting and its
// share of the deferred balances are gone, the other eight are stored, and
// the ledger verifies.
func TestClaimGroupRollsBackOneBody(t *testing.T) {
	sqltest.Run(t, anxintest.NewClock(protT0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := sqlstore.NewProtectionService(db)
		post := func(tx *sqlstore.Tx, i int) error {
			p, err := ledger.Transfer("CNY", ledger.External("topups"), ledger.GuaranteeFund, int64(100+i), "group test")
			if err != nil {
				return err
			}
			_, err = sqlstore.AppendPosting(ctx, tx, "topup", fmt.Sprintf("topup:group-%d", i), p)
			return err
		}
		release, inside := make(chan struct{}), make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- s.ClaimTx(ctx, "", func(tx *sqlstore.Tx) error {
				close(inside)
				<-release // the next nine queue meanwhile: one group
				return post(tx, 0)
			})
		}()
		<-inside
		const failing = 5
		errs := make([]error, 10)
		var runs [10]atomic.Int32 // a group that failed would run each body again alone
		var wg sync.WaitGroup
		for i := 1; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.ClaimTx(ctx, "", func(tx *sqlstore.Tx) error {
					runs[i].Add(1)
					if err := post(tx, i); err != nil {
						return err
					}
					if i == failing {
						return anxin.Errorf(anxin.Conflict, "body %d refuses", i)
					}
					return nil
				})
			}()
		}
		for s.ClaimsQueued() < 9 {
			time.Sleep(time.Millisecond)
		}
		close(release)
		wg.Wait()
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		var want int64 = 100
		for i := 1; i < 10; i++ {
			if i == failing {
				if anxin.KindOf(errs[i]) != anxin.Conflict {
					t.Errorf("body %d = %v; want its Conflict", i, errs[i])
				}
				continue
			}
			if errs[i] != nil {
				t.Errorf("body %d = %v; want nil", i, errs[i])
			}
			want += int64(100 + i)
		}
		for i := 1; i < 10; i++ {
			if n := runs[i].Load(); n != 1 {
				t.Errorf("body %d ran %d times; want once, in the group", i, n)
			}
		}
		var n int
		var bal int64
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_postings WHERE ref LIKE 'topup:group-%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT balance_fen FROM ledger_balances WHERE account = ?`, string(ledger.GuaranteeFund)).Scan(&bal); err != nil {
			t.Fatal(err)
		}
		if n != 9 || bal != want {
			t.Errorf("%d postings, guarantee fund %d fen; want 9 and %d", n, bal, want)
		}
		if c, err := db.VerifyLedger(ctx); err != nil || !c.OK() {
			t.Errorf("VerifyLedger: %v %v", err, c.Problems)
		}
	})
}
