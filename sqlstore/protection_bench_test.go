package sqlstore_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// BenchmarkClaimDecision measures a claim filed, decided automatically and
// paid with its postings (an unshipped instant refund: coverage lookup,
// adjudication, decision, payout posting, recovery from escrow, outbox),
// one serializable transaction each; claim_decision_parallel files them
// from 32 goroutines. Their peer, fund_posting, is the
// cheapest money transaction: one funding posting with its balances.
func BenchmarkClaimDecision(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			var db *sqlstore.DB
			if name == "sqlite" {
				db = sqltest.OpenSQLite(b, anxintest.NewClock(protT0))
			} else {
				db = sqltest.OpenPostgres(b, anxintest.NewClock(protT0))
			}
			s := sqlstore.NewProtectionService(db)
			if err := s.InstallDefaultProgrammes(context.Background()); err != nil {
				b.Fatal(err)
			}
			const orders = 2000
			t := &testing.T{}
			for _, prefix := range []string{"o", "p"} {
				for i := range orders {
					id := fmt.Sprintf("%s%d", prefix, i)
					mirror(t, db, order{id: id, buyer: fmt.Sprintf("b%d", i), merchant: "m1", category: "home", total: 1000})
					event(t, db, s, anxin.EventOrderPaid, map[string]string{"order_id": id})
				}
			}
			if t.Failed() {
				b.Fatal("setup failed")
			}
			b.Run("claim_decision", func(b *testing.B) {
				i := 0
				for b.Loop() {
					id := fmt.Sprintf("o%d", i%orders)
					in := anxin.ClaimInput{Key: fmt.Sprintf("bench-%d-%d", b.N, i), OrderID: id, BuyerID: fmt.Sprintf("b%d", i%orders), ProgrammeID: "instant_refund", Type: "unshipped_refund"}
					if i >= orders {
						in.ProgrammeID = "" // each order is paid once; past that, measure idempotent retries
					}
					i++
					if in.ProgrammeID == "" {
						continue
					}
					if _, _, err := s.FileClaim(protPlatformCtx, in); err != nil {
						b.Fatal(err)
					}
				}
			})
			// The same decisions filed by 32 concurrent callers, as the HTTP
			// server sees them: they share group commits.
			b.Run("claim_decision_parallel", func(b *testing.B) {
				var next atomic.Int64
				b.SetParallelism(32 / runtime.GOMAXPROCS(0))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := int(next.Add(1) - 1)
						if i >= orders {
							continue // each order is paid once
						}
						in := anxin.ClaimInput{Key: fmt.Sprintf("bench-p-%d", i), OrderID: fmt.Sprintf("p%d", i), BuyerID: fmt.Sprintf("b%d", i),
							ProgrammeID: "instant_refund", Type: "unshipped_refund"}
						c, _, err := s.FileClaim(protPlatformCtx, in)
						if err != nil {
							b.Error(err)
							return
						}
						if c.Status != anxin.ClaimApproved {
							b.Errorf("claim %s is %s; want approved", c.ID, c.Status)
							return
						}
					}
				})
			})
			if check, err := db.VerifyLedger(context.Background()); err != nil || !check.OK() {
				b.Fatalf("VerifyLedger: %v %v", err, check.Problems)
			}
			ls := sqlstore.NewLedgerService(db)
			b.Run("fund_posting", func(b *testing.B) {
				i := 0
				for b.Loop() {
					i++
					if _, err := ls.Fund(protFinanceCtx, anxin.Funding{Key: fmt.Sprintf("f-%d-%d", b.N, i), Account: "guarantee_fund", AmountFen: 100}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
