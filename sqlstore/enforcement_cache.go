package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"anxin"
	"anxin/enforcement"
	"anxin/rules"
)

// The enforcement state a check reads (a subject's standing sanctions and
// point totals, merchantState) is kept in memory on SQLite, where every
// check of a group reads it inside the one writer's transaction.
//
// The cache is versioned by the enforcement_version row: every transaction
// that writes a sanction or a violation adds one to it before COMMIT
// (touchEnforcement). A group reads the row once; if it differs from the
// version the cache agrees with, something outside this process (another
// replica on the same file, an anxin command) changed a record, and the
// whole cache is dropped. This process's own writers drop the subjects they
// touched after COMMIT or ROLLBACK and move the cache to their new version.
// SQLite runs one write transaction at a time (BEGIN IMMEDIATE), and every
// read of the state happens in one, so no other writer can commit between a
// read and the entry it fills.
//
// An entry also says until when time alone leaves it true: the next points
// cycle, the first violation leaving the 365-day window, the first sanction
// ending or starting. PostgreSQL, whose lanes and replicas write
// concurrently, reads the database every time.
type stateCache struct {
	mu      sync.Mutex
	version int64 // the enforcement_version the entries agree with; -1 before the first read
	entries map[string]*stateEntry
	// nodes are points nodes known to be claimed (gov_nodes rows): a
	// claim is only ever removed by a reversal, which drops the whole
	// cache, so a check past a node need not try to claim it again.
	nodes map[nodeKey]bool
}

// nodeKey names one gov_nodes row.
type nodeKey struct {
	merchant, track, cycle string
	node                   int
}

// stateEntry is one subject's enforcement state as read at read, true for
// a check at any time in [read, until).
type stateEntry struct {
	sanctions   []*anxin.Sanction // shared by every reader: never modified
	totals      enforcement.Totals
	read, until time.Time
}

// maxStateEntries bounds the cache; past it the cache starts again empty.
const maxStateEntries = 200_000

func newStateCache() *stateCache {
	return &stateCache{version: -1, entries: map[string]*stateEntry{}, nodes: map[nodeKey]bool{}}
}

// cacheTx is a transaction's part in the cache: the version it read, the
// entries it read while their subjects were untouched (base), and the
// subjects whose state it wrote (dirty: true when a sanction was written,
// false when only violations were added, whose totals the transaction
// keeps current, see notePoints).
type cacheTx struct {
	read    bool
	version int64
	base    map[string]*stateEntry
	dirty   map[string]bool
	all     bool      // a write whose subjects are not listed (drop everything)
	bumped  int64     // the version this transaction's bump wrote
	nodes   []nodeKey // nodes claimed, by this transaction or before
}

// cacheTxs holds each transaction's part in the cache.
var cacheTxs = &txState[*cacheTx]{name: "enforcement cache"}

// cacheOf returns tx's part in the cache, empty at first.
func cacheOf(tx *Tx) *cacheTx {
	c, ok := cacheTxs.get(tx)
	if !ok {
		c = &cacheTx{}
		cacheTxs.set(tx, c)
	}
	return c
}

// reset empties the cache at version v.
func (c *stateCache) reset(v int64) {
	clear(c.entries)
	clear(c.nodes)
	c.version = v
}

// nodeClaimed reports whether the cache knows the node to be claimed. Only
// a transaction that read the current version may ask.
func (tx *Tx) nodeClaimed(k nodeKey) bool {
	st := cacheOf(tx)
	c := tx.db.states
	if c == nil || !st.read || st.all {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version == st.version && c.nodes[k]
}

// noteClaim records that the node's row exists in tx (claimed now or
// before), for the cache once tx commits.
func (tx *Tx) noteClaim(k nodeKey) {
	st := cacheOf(tx)
	if tx.db.states != nil {
		st.nodes = append(st.nodes, k)
	}
}

// touchEnforcement records that tx writes subject's sanctions (sanction
// true) or adds a violation to its record, or ("" ) writes whose subjects
// are not known: the transaction bumps enforcement_version before COMMIT,
// and after it ends the subject's cached state is dropped, or, when only
// violations were added to a state the transaction read, replaced by that
// state with the transaction's totals.
func (tx *Tx) touchEnforcement(ctx context.Context, subject string, sanction bool) {
	st := cacheOf(tx)
	if tx.db.states == nil {
		return
	}
	if st.dirty == nil {
		st.dirty = map[string]bool{}
		tx.onCommit(func() error {
			return tx.queryRowCached(context.WithoutCancel(ctx),
				`UPDATE enforcement_version SET version = version + 1 WHERE id = 1 RETURNING version`).Scan(&st.bumped)
		})
	}
	if subject == "" {
		st.all = true
	}
	st.dirty[subject] = st.dirty[subject] || sanction
}

// written returns subject's state after tx's own violations, when tx read
// it untouched and has added only violations since (nil otherwise).
func (tx *Tx) written(subject string) *stateEntry {
	st := cacheOf(tx)
	b := st.base[subject]
	if b == nil || st.all || st.dirty[subject] || decisionsOf(tx) == nil {
		return nil
	}
	t, ok := decisionsOf(tx).totals[subject]
	if !ok {
		return nil
	}
	// The base's deadlines still hold, and the new violations, stored at
	// tx.Now, leave the 365-day window a year on.
	until := b.until
	if out := fromMS(ms(tx.Now)).Add(enforcement.CounterfeitWindow); out.Before(until) {
		until = out
	}
	return &stateEntry{sanctions: b.sanctions, totals: t, read: b.read, until: until}
}

// endStates applies a finished transaction's writes to the cache.
func (db *DB) endStates(tx *Tx, committed bool) {
	st := cacheOf(tx)
	c := db.states
	if c == nil || st.dirty == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if committed && c.version == st.bumped-1 && !st.all {
		// Nothing else changed since this transaction began: its subjects
		// are what it read plus what it wrote.
		c.version = st.bumped
		for _, k := range st.nodes {
			c.nodes[k] = true
		}
		for s := range st.dirty {
			if e := tx.written(s); e != nil {
				c.entries[s] = e
			} else {
				delete(c.entries, s)
			}
		}
		return
	}
	if committed && c.version < st.bumped {
		c.reset(st.bumped)
	}
	if st.all {
		c.reset(c.version)
		return
	}
	for s := range st.dirty {
		delete(c.entries, s)
	}
}

// enforcementState returns subject's enforcement state at tx.Now, from the
// cache when it holds it, else from the database (filling the cache).
func (tx *Tx) enforcementState(ctx context.Context, subject string) (*stateEntry, error) {
	st := cacheOf(tx)
	c := tx.db.states
	if c == nil || st.all {
		return readEnforcementState(ctx, tx, subject)
	}
	if _, touched := st.dirty[subject]; touched {
		if e := tx.written(subject); e != nil {
			return e, nil
		}
		return readEnforcementState(ctx, tx, subject)
	}
	if !st.read {
		if err := tx.queryRowCached(ctx, `SELECT version FROM enforcement_version WHERE id = 1`).Scan(&st.version); err != nil {
			return nil, err
		}
		st.read = true
		c.mu.Lock()
		if c.version != st.version {
			c.reset(st.version)
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	e := c.entries[subject]
	fresh := c.version == st.version
	c.mu.Unlock()
	if st.base == nil {
		st.base = map[string]*stateEntry{}
	}
	if fresh && e != nil && !tx.Now.Before(e.read) && tx.Now.Before(e.until) {
		st.base[subject] = e
		return e, nil
	}
	e, err := readEnforcementState(ctx, tx, subject)
	if err != nil {
		return nil, err
	}
	st.base[subject] = e
	c.mu.Lock()
	if c.version == st.version {
		if len(c.entries) >= maxStateEntries || len(c.nodes) >= maxStateEntries {
			c.reset(c.version)
		}
		c.entries[subject] = e
	}
	c.mu.Unlock()
	return e, nil
}

// peekMerchant returns the rules' view of subject's state at now as the
// cache holds it, without a transaction, and whether it holds it (a
// subject "" has no state). The cache may be behind the database: a check
// uses this only to run the engine early and confirms the state inside its
// transaction (see early).
func (db *DB) peekMerchant(subject string, now time.Time) (rules.Merchant, bool) {
	if subject == "" {
		return rules.Merchant{}, true
	}
	c := db.states
	if c == nil {
		return rules.Merchant{}, false
	}
	c.mu.Lock()
	e := c.entries[subject]
	c.mu.Unlock()
	if e == nil || now.Before(e.read) || !now.Before(e.until) {
		return rules.Merchant{}, false
	}
	return merchantOf(subject, e, now), true
}

// readEnforcementState reads subject's standing sanctions from every
// source, its points this cycle, and its counterfeit findings and
// violations in the last 365 days, in one query. The violations are summed
// in the query (see violationCuts), so a merchant with a long record costs
// one row per track and window, not one per violation.
func readEnforcementState(ctx context.Context, tx *Tx, id string) (*stateEntry, error) {
	now := tx.Now
	cycle, window, from := violationCuts(now)
	rows, err := tx.queryCached(ctx, `SELECT 0 AS part, id, subject_type, type, source, status, cause, statement_id, starts_at, ends_at, created_at,
			'' AS track, 0 AS points, 0 AS counterfeit, 1 AS n, 0 AS first
		FROM sanctions WHERE subject_id = ? AND status = 'active' AND (ends_at IS NULL OR ends_at > ?)
		UNION ALL
		SELECT 1, '', '', '', '', '', '', '', CASE WHEN created_at >= ? THEN 1 ELSE 0 END, NULL, CASE WHEN created_at >= ? THEN 1 ELSE 0 END,
			track, SUM(points), counterfeit, COUNT(*), MIN(created_at)
		FROM gov_violations WHERE merchant_id = ? AND reversed = 0 AND created_at >= ?
		GROUP BY 9, 11, 12, 14
		ORDER BY 1, 11 DESC`, id, ms(now), cycle, window, id, from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// Time alone changes the state at the next cycle, when the first
	// violation in the window leaves it, and when a sanction ends or
	// starts.
	e := &stateEntry{read: now, until: enforcement.CycleStart(now.In(anxin.MarketplaceTZ).AddDate(1, 0, 0))}
	earlier := func(t time.Time) {
		if t.Before(e.until) {
			e.until = t
		}
	}
	for rows.Next() {
		var part, start, at, first int64
		var end sql.NullInt64
		var track string
		var pts, cf, n int
		sc := new(anxin.Sanction)
		if err := rows.Scan(&part, &sc.ID, &sc.SubjectType, &sc.Type, &sc.Source, &sc.Status, &sc.Cause, &sc.StatementID, &start, &end, &at,
			&track, &pts, &cf, &n, &first); err != nil {
			return nil, err
		}
		if part == 0 {
			sc.SubjectID, sc.StartsAt, sc.EndsAt, sc.CreatedAt = id, fromMS(start), fromNullMS(end), fromMS(at)
			if sc.SubjectType == anxin.SubjectMerchant {
				sc.MerchantID = id
			}
			e.sanctions = append(e.sanctions, sc)
			if sc.StartsAt.After(now) {
				earlier(sc.StartsAt)
			}
			if sc.EndsAt != nil {
				earlier(*sc.EndsAt)
			}
			continue
		}
		addViolations(&e.totals, track, pts, cf == 1, n, start == 1, at == 1)
		if at == 1 {
			earlier(fromMS(first).Add(enforcement.CounterfeitWindow))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if e.until.Before(now) {
		e.until = now // holds for no later check
	}
	return e, nil
}
