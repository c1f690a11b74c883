package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"maps"
	"slices"
	"strings"
	"time"

	"anxin"
	"anxin/ledger"
	"anxin/protection"
)

// The set-based protection hook. An ingest of whole order lives used to
// cost about fifteen statements per event in the hook alone: the facts of
// each paid order, its coverage, the posting refs and balances, one INSERT
// per coverage row, job, posting and its entries. onRun reads what a run of
// events needs in a few queries, works the events out in memory in batch
// order with exactly the rules of coverOrder, settleEscrow and onScan, and
// writes the rows with one multi-row statement per table.

// inRun reports whether e can go in a run: it reads and writes only
// coverage, jobs and ledger postings (see onRun). Lost scans and returned
// after-sales file and decide claims and go on their own.
func inRun(e *anxin.Event) bool {
	switch e.Type {
	case anxin.EventShipmentScanned:
		return e.Scan == nil || e.Scan.Code != "lost"
	case anxin.EventAfterSaleReturned:
		return false
	}
	return true
}

// hookRun is what one run reads up front and what it will write.
type hookRun struct {
	facts    map[string]*orderFacts       // paid and delivered orders (paid ones complete)
	coverage map[string][]programmeKey    // order → covering versions, by programme id
	refs     map[string]bool              // posting refs stored or queued
	balances map[balanceKey]int64         // stored balances of delivered orders' escrow
	pending  map[balanceKey]*balanceDelta // the transaction's deferred balance changes
	covers   [][4]any                     // order_coverage rows to insert
	jobs     map[[2]string]queuedJob      // (kind, key) → job, first wins
	postings []queuedPosting
}

type queuedJob struct {
	due     time.Time
	payload any
}

type queuedPosting struct {
	id, kind, ref string
	p             ledger.Posting
}

// onRun applies a run of events for which inRun holds, with the same
// effects and in the same order as onEvent one at a time.
func (s *ProtectionService) onRun(ctx context.Context, tx *Tx, c *programmeCache, events []*anxin.Event) error {
	var paid, delivered, scanned []string
	for _, e := range events {
		switch e.Type {
		case anxin.EventOrderPaid:
			paid = append(paid, e.SubjectID())
		case anxin.EventOrderDelivered:
			delivered = append(delivered, e.SubjectID())
		case anxin.EventShipmentScanned:
			if e.Scan != nil {
				scanned = append(scanned, e.Scan.OrderID)
			}
		}
	}
	if len(paid)+len(delivered)+len(scanned) == 0 {
		return nil
	}
	paid, delivered = distinct(paid), distinct(delivered)
	r := &hookRun{jobs: map[[2]string]queuedJob{}}
	r.pending, _ = pendingBalances.get(tx)
	if err := r.load(ctx, tx, paid, delivered, distinct(append(slices.Clone(paid), scanned...))); err != nil {
		return err
	}
	for _, e := range events {
		var err error
		switch e.Type {
		case anxin.EventOrderPaid:
			err = r.cover(ctx, tx, c, e.SubjectID(), e.OccurredAt)
		case anxin.EventOrderDelivered:
			err = r.settle(tx, e.SubjectID())
		case anxin.EventShipmentScanned:
			err = r.scan(ctx, tx, c, e.Scan, e.OccurredAt)
		}
		if err != nil {
			return err
		}
	}
	return r.write(ctx, tx)
}

// load reads the facts of the paid orders, the order rows of the delivered
// ones, the coverage of the paid and scanned ones, which of their posting
// refs exist and the delivered orders' escrow balances (locked on
// PostgreSQL, as balance does for a settlement).
func (r *hookRun) load(ctx context.Context, tx *Tx, paid, delivered, covered []string) error {
	var err error
	if r.facts, err = loadOrders(ctx, tx, distinct(append(slices.Clone(paid), delivered...))); err != nil {
		return err
	}
	complete := map[string]*orderFacts{}
	for _, id := range paid {
		if f := r.facts[id]; f != nil {
			complete[id] = f
		}
	}
	if err := completeFacts(ctx, tx, complete); err != nil {
		return err
	}
	r.coverage = map[string][]programmeKey{}
	if err := queryIn(ctx, tx, `SELECT order_id, programme_id, programme_version FROM order_coverage WHERE order_id IN (…) ORDER BY order_id, programme_id`, covered, func(rows *sql.Rows) error {
		var id string
		var k programmeKey
		if err := rows.Scan(&id, &k.id, &k.version); err != nil {
			return err
		}
		r.coverage[id] = append(r.coverage[id], k)
		return nil
	}); err != nil {
		return err
	}
	refs := make([]string, 0, len(paid)+len(delivered))
	for _, id := range paid {
		refs = append(refs, "escrow:"+id)
	}
	for _, id := range delivered {
		refs = append(refs, "settle:"+id)
	}
	r.refs = map[string]bool{}
	if err := queryIn(ctx, tx, `SELECT ref FROM ledger_postings WHERE ref IN (…)`, refs, func(rows *sql.Rows) error {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return err
		}
		r.refs[ref] = true
		return nil
	}); err != nil {
		return err
	}
	r.balances = map[balanceKey]int64{}
	accounts := make([]string, 0, len(delivered))
	for _, id := range delivered {
		accounts = append(accounts, string(ledger.OrderEscrow(id)))
	}
	if len(accounts) == 0 {
		return nil
	}
	q := `SELECT account, currency, balance_fen FROM ledger_balances WHERE account IN (…)`
	if tx.Dialect() == Postgres {
		slices.Sort(accounts)
		q += ` ORDER BY account, currency FOR UPDATE`
	}
	return queryIn(ctx, tx, q, accounts, func(rows *sql.Rows) error {
		var k balanceKey
		var v int64
		if err := rows.Scan(&k.account, &k.currency, &v); err != nil {
			return err
		}
		r.balances[k] = v
		return nil
	})
}

// cover is coverOrder on what load read.
func (r *hookRun) cover(ctx context.Context, tx *Tx, c *programmeCache, orderID string, paidAt time.Time) error {
	f := r.facts[orderID]
	if f == nil {
		return nil
	}
	if f.order.PaidAt != nil {
		paidAt = *f.order.PaidAt
	}
	progs, err := c.current(ctx, tx)
	if err != nil {
		return err
	}
	for _, p := range progs {
		if !protection.Covers(p, &f.order, f.enrolled[p.ID], f.standing) {
			continue
		}
		// ON CONFLICT DO NOTHING: a programme that covers the order already
		// keeps its version.
		cov := r.coverage[orderID]
		i, found := slices.BinarySearchFunc(cov, p.ID, func(k programmeKey, id string) int { return strings.Compare(k.id, id) })
		if !found {
			r.coverage[orderID] = slices.Insert(cov, i, programmeKey{p.ID, p.Version})
			r.covers = append(r.covers, [4]any{orderID, p.ID, p.Version, ms(paidAt)})
		}
		if late(p) {
			r.schedule(JobLateShipment, orderID+":"+p.ID, lateDue(f, paidAt), map[string]string{"order_id": orderID, "programme_id": p.ID})
		}
	}
	p, ok, err := escrowPosting(f)
	if !ok || err != nil {
		return err
	}
	return r.post(tx, "escrow", "escrow:"+orderID, p)
}

// settle is settleEscrow on what load read.
func (r *hookRun) settle(tx *Tx, orderID string) error {
	f := r.facts[orderID]
	if f == nil || ledger.ValidCurrency(f.currency) != nil || f.order.MerchantID == "" {
		return nil
	}
	k := balanceKey{string(ledger.OrderEscrow(orderID)), f.currency}
	left := r.balances[k]
	if d := r.pending[k]; d != nil {
		var err error
		if left, err = ledger.Add(left, d.amount); err != nil {
			return ledgerError(err)
		}
	}
	if left <= 0 {
		return nil
	}
	p, err := settlePosting(orderID, f.order.MerchantID, f.currency, left)
	if err != nil {
		return err
	}
	return r.post(tx, "settle", "settle:"+orderID, p)
}

// scan is onScan for a scan that is not lost.
func (r *hookRun) scan(ctx context.Context, tx *Tx, c *programmeCache, sc *anxin.ScanEvent, at time.Time) error {
	if sc == nil || sc.Code == "delivered" || sc.Code == "returned" {
		return nil
	}
	for _, k := range r.coverage[sc.OrderID] {
		p, err := c.version(ctx, tx, k.id, k.version)
		if err != nil {
			return err
		}
		if triggeredBy(p, protection.EventParcelLost) {
			key, due, payload := lostCheck(sc.OrderID, at, p)
			r.schedule(JobLostCheck, key, due, payload)
		}
	}
	return nil
}

// schedule is Schedule: the first job of a kind and key wins.
func (r *hookRun) schedule(kind, key string, due time.Time, payload any) {
	k := [2]string{kind, key}
	if _, ok := r.jobs[k]; !ok {
		r.jobs[k] = queuedJob{due, payload}
	}
}

// post is appendPosting with deferred balances: a ref stored or queued
// already changes nothing.
func (r *hookRun) post(tx *Tx, kind, ref string, p ledger.Posting) error {
	if r.refs[ref] {
		return nil
	}
	if err := p.Compact(); err != nil {
		return ledgerError(err)
	}
	if err := p.Validate(); err != nil {
		return ledgerError(err)
	}
	if err := addPending(r.pending, p); err != nil {
		return err
	}
	r.refs[ref] = true
	r.postings = append(r.postings, queuedPosting{anxin.NewTimeID("pst", tx.Now), kind, ref, p})
	return nil
}

var jobInsert = batch{
	head: `INSERT INTO jobs (id, kind, job_key, run_at, payload)`,
	tail: `ON CONFLICT (kind, job_key) DO NOTHING`,
	cols: 5,
}

var postingInsert = batch{
	head: `INSERT INTO ledger_postings (id, kind, ref, currency, memo, created_at)`,
	cols: 6,
}

// write stores the run's rows, each table's in key order so that
// concurrent ingests on PostgreSQL take their locks in one order.
func (r *hookRun) write(ctx context.Context, tx *Tx) error {
	slices.SortFunc(r.covers, func(a, b [4]any) int {
		return cmp.Or(strings.Compare(a[0].(string), b[0].(string)), strings.Compare(a[1].(string), b[1].(string)))
	})
	if err := coverageInsert.exec(ctx, tx, len(r.covers), func(a []any, i int) []any { return append(a, r.covers[i][:]...) }); err != nil {
		return err
	}
	keys := slices.SortedFunc(maps.Keys(r.jobs), func(a, b [2]string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1])) })
	bodies := make([]string, len(keys))
	for i, k := range keys {
		b, err := jobPayload(r.jobs[k].payload)
		if err != nil {
			return err
		}
		bodies[i] = b
	}
	if err := jobInsert.exec(ctx, tx, len(keys), func(a []any, i int) []any {
		return append(a, anxin.NewID("job"), keys[i][0], keys[i][1], ms(r.jobs[keys[i]].due), bodies[i])
	}); err != nil {
		return err
	}
	slices.SortFunc(r.postings, func(a, b queuedPosting) int { return strings.Compare(a.ref, b.ref) })
	if err := postingInsert.exec(ctx, tx, len(r.postings), func(a []any, i int) []any {
		q := r.postings[i]
		return append(a, q.id, q.kind, q.ref, q.p.Currency, q.p.Memo, ms(tx.Now))
	}); err != nil {
		return err
	}
	type line struct {
		q *queuedPosting
		i int
	}
	var lines []line
	for k := range r.postings {
		for i := range r.postings[k].p.Entries {
			lines = append(lines, line{&r.postings[k], i})
		}
	}
	return entryInsert.exec(ctx, tx, len(lines), func(a []any, i int) []any {
		l := lines[i]
		e := l.q.p.Entries[l.i]
		return append(a, l.q.id, l.i, string(e.Account), l.q.p.Currency, e.Amount)
	})
}
