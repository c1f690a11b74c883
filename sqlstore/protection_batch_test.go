package sqlstore_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// TestProtectionHookRunsMatchOneByOne ingests one batch through the
// set-based hook and through the hook event by event, into two fresh
// databases, and requires the same coverage, jobs, claims, postings,
// entries and balances. The batch has whole order lives and the awkward
// orders too: scans and a delivery before the payment, a payment twice
// under two event ids, lost scans and returned after-sales (which split the
// batch into runs) in the middle. A replay of the batch changes nothing.
func TestProtectionHookRunsMatchOneByOne(t *testing.T) {
	ctx := context.Background()
	clock := anxintest.NewClock(t0)
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		var ref *sqlstore.DB
		if db.Dialect == sqlstore.Postgres {
			ref = sqltest.OpenPostgres(t, anxintest.NewClock(t0))
		} else {
			ref = sqltest.OpenSQLite(t, anxintest.NewClock(t0))
		}
		for i, d := range []*sqlstore.DB{db, ref} {
			prot := sqlstore.NewProtectionService(d)
			if err := prot.InstallDefaultProgrammes(ctx); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				d.AddEventHook(prot.OnEvents)
			} else {
				d.AddEventHook(prot.OnEventsOneByOne)
			}
			seedIngest(t, d)
		}
		batch := awkwardBatch()
		for _, d := range []*sqlstore.DB{db, ref} {
			res, err := sqlstore.NewEventService(d).IngestEvents(platform, batch)
			if err != nil || res.Stored != len(batch) {
				t.Fatalf("ingest: %+v, %v", res, err)
			}
		}
		got, want := hookState(t, db), hookState(t, ref)
		for table, w := range want {
			if got[table] != w {
				t.Errorf("%s differs:\nruns:\n%s\none by one:\n%s", table, got[table], w)
			}
		}
		for _, table := range []string{"coverage", "jobs", "claims", "postings"} {
			if strings.Count(want[table], "\n") == 0 {
				t.Errorf("the batch made no %s: the comparison proves little", table)
			}
		}
		res, err := sqlstore.NewEventService(db).IngestEvents(platform, batch)
		if err != nil || res.Stored != 0 || res.Duplicates != len(batch) {
			t.Fatalf("replay: %+v, %v", res, err)
		}
		if again := hookState(t, db); fmt.Sprint(again) != fmt.Sprint(got) {
			t.Errorf("the replay changed the hook's tables")
		}
	})
}

// awkwardBatch is whole order lives with orders out of order mixed in.
func awkwardBatch() []*anxin.Event {
	batch := lifeBatch(1000, 300)
	at := t0.Add(48 * time.Hour)
	// Order 2000: scanned and delivered before it is paid, paid twice.
	o := orderLife(2000)
	batch = append(batch, o[0], o[3], o[5], o[1], ref("p2_o_2000", anxin.EventOrderPaid, "o_2000", at), o[2], o[4])
	// Order 2001: lost in transit, in the middle of the batch.
	o = orderLife(2001)
	lost := ev("lost_o_2001", anxin.EventShipmentScanned, at, map[string]any{"shipment_id": "s_2001", "order_id": "o_2001", "carrier": "SF", "code": "lost", "location": "Wuhan"})
	batch = append(batch[:150], append([]*anxin.Event{o[0], o[1], o[2], o[3], lost}, batch[150:]...)...)
	// Order 1010's after-sale is returned (a return picked up), then more lives.
	ret := ev("ret_o_1010", anxin.EventAfterSaleReturned, at, map[string]any{"id": "as_o_1010", "order_id": "o_1010", "buyer_id": "b_10", "kind": "return_refund", "amount_fen": 500, "reason": "size"})
	batch = append(batch, ret)
	return append(batch, lifeBatch(3000, 60)...)
}

// randomID matches the generated ids that refs of payouts carry.
var randomID = regexp.MustCompile(`\b(pay|clm)_[a-z2-7]{24}\b`)

// hookState is the hook's tables without their random ids, one text per
// table, rows in key order.
func hookState(t *testing.T, db *sqlstore.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for table, q := range map[string]string{
		"coverage": `SELECT order_id, programme_id, programme_version, covered_at FROM order_coverage ORDER BY order_id, programme_id`,
		"jobs":     `SELECT kind, job_key, run_at, payload, state FROM jobs WHERE kind LIKE 'protection.%' ORDER BY kind, job_key`,
		"claims":   `SELECT order_id, programme_id, programme_version, type, source, status, amount_fen, return_picked_up FROM claims ORDER BY order_id, programme_id`,
		"postings": `SELECT kind, ref, currency, memo FROM ledger_postings ORDER BY ref`,
		"entries":  `SELECT p.ref, e.line, e.account, e.currency, e.amount_fen FROM ledger_entries e JOIN ledger_postings p ON p.id = e.posting_id ORDER BY p.ref, e.line`,
		"balances": `SELECT account, currency, kind, owner, balance_fen FROM ledger_balances ORDER BY account, currency`,
	} {
		out[table] = randomID.ReplaceAllString(dumpRows(t, db, q), "${1}_…")
	}
	return out
}
