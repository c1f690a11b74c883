package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"

	"anxin"
)

// Batch writes. The mirror and the event log take thousands of rows per
// request, so rows go to the database as multi-row INSERTs instead of one
// statement per row. Chunks have fixed sizes (256, 64, 16, 4, 2, 1 rows; 2
// for the two entries of most postings) so the same few statement texts
// repeat: the PostgreSQL driver caches one prepared statement per text and
// rebind caches one rewrite per text, and neither cache grows with the
// batch sizes callers happen to send. 256 rows of 16
// columns stay far below both databases' limits on bound parameters.

var chunkSizes = []int{256, 64, 16, 4, 2, 1}

// chunks splits n rows into the fixed chunk sizes, largest first.
func chunks(n int) []int {
	var out []int
	for _, size := range chunkSizes {
		for n >= size {
			out = append(out, size)
			n -= size
		}
	}
	return out
}

var placeholderCache sync.Map // [2]int{cols, rows} → "(?,?),(?,?)"

// valuesList returns rows parenthesised groups of cols placeholders.
func valuesList(cols, rows int) string {
	key := [2]int{cols, rows}
	if v, ok := placeholderCache.Load(key); ok {
		return v.(string)
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	s := strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
	placeholderCache.Store(key, s)
	return s
}

// batch is one multi-row statement: head is "INSERT INTO t (a, b)", tail
// what follows the VALUES list (ON CONFLICT …, RETURNING …).
type batch struct {
	head, tail string
	cols       int
	// whole marks a batch whose failure fails its transaction (the check
	// path's batches, written just before COMMIT): on SQLite it runs as
	// INSERT OR FAIL, which keeps the rows before a failing one instead of
	// undoing them, so SQLite keeps no statement journal (a copy of every
	// page the statement changes, made to undo it alone) for a statement
	// that is never undone alone.
	whole bool
}

// exec writes n rows; row appends the values of row i (exactly b.cols of them).
func (b batch) exec(ctx context.Context, tx *Tx, n int, row func(args []any, i int) []any) error {
	return b.query(ctx, tx, n, row, nil)
}

// query is exec for statements with RETURNING: scan is called for every
// returned row. With a nil scan the statement is executed, not queried.
func (b batch) query(ctx context.Context, tx *Tx, n int, row func(args []any, i int) []any, scan func(*sql.Rows) error) error {
	if tx.Dialect() == Postgres && n > 1 {
		return b.unnest(ctx, tx, n, row, scan)
	}
	args := make([]any, 0, min(n, chunkSizes[0])*b.cols)
	i := 0
	for _, size := range chunks(n) {
		args = args[:0]
		for j := i; j < i+size; j++ {
			args = row(args, j)
		}
		head := b.head
		if b.whole && tx.Dialect() != Postgres {
			head = "INSERT OR FAIL" + strings.TrimPrefix(head, "INSERT")
		}
		q := head + " VALUES " + valuesList(b.cols, size) + " " + b.tail
		if scan == nil {
			if _, err := tx.execCached(ctx, q, args...); err != nil {
				return err
			}
		} else if err := eachRow(tx.queryCached(ctx, q, args...))(scan); err != nil {
			return err
		}
		i += size
	}
	return nil
}

// execCached and queryCached run q through a prepared statement kept for
// the life of the pool on SQLite, where preparing a 256-row INSERT costs
// about as much as running it; database/sql binds the statement to each
// transaction's connection, preparing it once per connection. The set of
// texts is small and fixed (see chunkSizes and the check path). The
// PostgreSQL driver already caches prepared statements by text, so there
// they run directly.
func (tx *Tx) execCached(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := tx.cachedStmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

func (tx *Tx) queryCached(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := tx.cachedStmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

// cachedStmt returns q prepared for tx on SQLite once the pool has it, nil
// on PostgreSQL or while it is being prepared (the caller then runs q
// unprepared).
func (tx *Tx) cachedStmt(ctx context.Context, q string) *sql.Stmt {
	if tx.db.Dialect == Postgres {
		return nil
	}
	if st := tx.db.pooledStmt(q); st != nil {
		return tx.StmtContext(ctx, st)
	}
	return nil
}

// pooledStmt returns q (already in the dialect's placeholders) prepared on
// the pool, or nil while it is not yet: the first caller starts preparing
// it in the background. Preparing on the pool needs a connection of its
// own, and a caller inside a transaction must not wait for one: on SQLite
// the other connections may all be waiting for that transaction's write
// lock. database/sql then prepares the statement once on each connection
// that runs it (Tx.StmtContext uses the transaction's own connection).
func (db *DB) pooledStmt(q string) *sql.Stmt {
	v, loaded := db.stmts.LoadOrStore(q, (*sql.Stmt)(nil))
	if st := v.(*sql.Stmt); st != nil {
		return st
	}
	if !loaded {
		go func() {
			st, err := db.SQL.PrepareContext(context.Background(), q)
			if err != nil {
				db.stmts.Delete(q) // try again on a later call (database closed, schema not there yet)
				return
			}
			db.stmts.Store(q, st)
		}()
	}
	return nil
}

// queryRowCached is QueryRowContext through the statement cache, for fixed
// queries on hot paths outside a transaction (SQLite only, as execCached).
func (db *DB) queryRowCached(ctx context.Context, q string, args ...any) *sql.Row {
	if db.Dialect != Postgres {
		if st := db.pooledStmt(q); st != nil {
			return st.QueryRowContext(ctx, args...)
		}
	}
	return db.QueryRowContext(ctx, q, args...)
}

// unnest is query for PostgreSQL: one statement for all n rows, with one
// array parameter per column (INSERT … SELECT * FROM unnest($1::text[], …)).
// The server parses and plans one short statement instead of VALUES lists
// with thousands of parameters, and the batch costs one round trip. Columns
// holding strings are sent as text[], all others (integers and NULLs) as
// bigint[].
func (b batch) unnest(ctx context.Context, tx *Tx, n int, row func(args []any, i int) []any, scan func(*sql.Rows) error) error {
	flat := make([]any, 0, n*b.cols)
	for i := range n {
		flat = row(flat, i)
	}
	if len(flat) != n*b.cols {
		return fmt.Errorf("batch %q: rows have %d values, want %d", b.head, len(flat), n*b.cols)
	}
	args := make([]any, b.cols)
	casts := make([]string, b.cols)
	for j := range b.cols {
		text := false
		for i := j; i < len(flat); i += b.cols {
			if flat[i] != nil {
				_, text = flat[i].(string)
				break
			}
		}
		if text {
			col := make([]string, n)
			for i := range n {
				col[i], _ = flat[i*b.cols+j].(string)
			}
			args[j], casts[j] = col, "?::text[]"
			continue
		}
		col := make([]*int64, n)
		for i := range n {
			switch v := flat[i*b.cols+j].(type) {
			case int64:
				col[i] = &v
			case int:
				w := int64(v)
				col[i] = &w
			case nil:
			default:
				return fmt.Errorf("batch %q: column %d holds %T", b.head, j, v)
			}
		}
		args[j], casts[j] = col, "?::bigint[]"
	}
	q := b.head + " SELECT * FROM unnest(" + strings.Join(casts, ", ") + ") " + b.tail
	if scan == nil {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	return eachRow(tx.QueryContext(ctx, q, args...))(scan)
}

// queryIn runs q once per chunk of ids, with "(?,…)" of the chunk's size in
// place of the IN list marker "(…)"; scan is called for every row.
func queryIn(ctx context.Context, tx *Tx, q string, ids []string, scan func(*sql.Rows) error) error {
	return queryInWith(ctx, tx, q, nil, ids, scan)
}

// queryInWith is queryIn for a q with placeholders before its IN list,
// whose values are pre.
func queryInWith(ctx context.Context, tx *Tx, q string, pre []any, ids []string, scan func(*sql.Rows) error) error {
	if len(ids) == 0 {
		return nil
	}
	if tx.Dialect() == Postgres {
		return eachRow(tx.QueryContext(ctx, strings.Replace(q, " IN (…)", " = ANY(?::text[])", 1), append(slices.Clip(pre), ids)...))(scan)
	}
	// One statement per 1,024 ids: the list is padded to the next of a few
	// fixed sizes by repeating its last id (a repeat in an IN list selects
	// nothing twice), so the statement texts stay few.
	for len(ids) > 0 {
		n := min(len(ids), inSizes[len(inSizes)-1])
		size := inSizes[0]
		for _, s := range inSizes {
			if s >= n {
				size = s
				break
			}
		}
		args := make([]any, len(pre), len(pre)+size)
		copy(args, pre)
		for j := range size {
			args = append(args, ids[min(j, n-1)])
		}
		text := strings.Replace(q, "(…)", "("+strings.TrimSuffix(strings.Repeat("?,", size), ",")+")", 1)
		if err := eachRow(tx.queryCached(ctx, text, args...))(scan); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// inSizes are the IN list lengths queryIn uses on SQLite.
var inSizes = []int{1, 4, 16, 64, 256, 1024}

// eachRow takes a query's result and returns a function that calls scan for
// every row and closes the rows, reporting the first error.
func eachRow(rows *sql.Rows, err error) func(scan func(*sql.Rows) error) error {
	return func(scan func(*sql.Rows) error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
}

// Concurrent writers. Several replicas may ingest events and upsert the
// mirror at once on one PostgreSQL database (SQLite has one writer: its
// transactions take the write lock at BEGIN, _txlock=immediate). Writers
// lock only what they touch, and always in the same order, so they do not
// deadlock: within a transaction the tables are written in one order
// (events, orders, after-sales, shipments, then the hooks, then ledger
// balances), and every multi-row write goes in key order — events by id
// (insertEvents), orders and after-sales by id (rounds), shipments by id
// after lockKeys, balances by account (flushBalances). The upserts merge in
// SQL with monotonic rules, so whichever writer commits first, the result is
// the same. The one read-then-write, numbering a shipment's scans, runs
// under per-shipment locks. Deadlocks and serialization failures that
// remain (hooks touching rows out of order) are retried by Transact.

// Advisory-lock namespaces (the first key of pg_advisory_xact_lock(int, int)).
const lockShipment = 727276

// lockKeys takes a transaction-scoped advisory lock for every key in
// namespace ns on PostgreSQL, in ascending lock-id order so that two
// transactions locking overlapping sets cannot deadlock; a 32-bit hash of
// the key is the second lock id (a collision only makes two writers wait
// for each other). SQLite needs none.
func lockKeys(ctx context.Context, tx *Tx, ns int32, keys []string) error {
	if tx.Dialect() != Postgres || len(keys) == 0 {
		return nil
	}
	ids := make([]int32, 0, len(keys))
	for _, k := range keys {
		h := fnv.New32a()
		h.Write([]byte(k))
		ids = append(ids, int32(h.Sum32()))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	// unnest yields the array in order, and the locks are taken row by row.
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?, k) FROM unnest(?::int4[]) AS k`, ns, ids)
	return err
}

// jsonText encodes v for a TEXT column, storing empty as the column's
// empty value ("[]" or "{}") instead of "null".
func jsonText(v any, empty string) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return empty
	}
	return string(b)
}

// validateBatch checks a batch's size, validates every item and rejects ids
// that repeat within the batch. It returns nil, TooLarge over
// anxin.MaxBatch, or Invalid with one ItemError per bad item, so the caller
// can refuse the batch whole before writing anything.
func validateBatch[E any, P interface {
	*E
	Validate() error
}](noun string, items []P, id func(P) string) error {
	if len(items) == 0 {
		return anxin.Errorf(anxin.Invalid, "The batch is empty: send at least one of %s.", noun)
	}
	if len(items) > anxin.MaxBatch {
		return anxin.Errorf(anxin.TooLarge, "The batch has more than %d %s.", anxin.MaxBatch, noun)
	}
	var details []anxin.ItemError
	seen := make(map[string]int, len(items))
	for i, it := range items {
		if it == nil {
			details = append(details, anxin.ItemError{Index: i, Message: "item is null."})
			continue
		}
		if err := it.Validate(); err != nil {
			details = append(details, anxin.ItemError{Index: i, ID: safeID(id(it)), Message: anxin.MessageOf(err)})
			continue
		}
		if j, dup := seen[id(it)]; dup {
			details = append(details, anxin.ItemError{Index: i, ID: id(it), Message: "id repeats the item at index " + itoa(j) + "."})
			continue
		}
		seen[id(it)] = i
	}
	if details != nil {
		return &anxin.Error{Kind: anxin.Invalid, Message: "The batch was rejected: " + itoa(len(details)) + " invalid " + noun + "; nothing was stored.", Details: details}
	}
	return nil
}

// safeID returns id if it is a well-formed id, else "" — an invalid id may
// be anything, and error details are echoed and logged.
func safeID(id string) string {
	if anxin.ValidateID("id", id) != nil {
		return ""
	}
	return id
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Cursors are the last id of the previous page, base64url-encoded so
// clients treat them as opaque.

func encodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func decodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || anxin.ValidateID("cursor", string(b)) != nil {
		return "", anxin.Errorf(anxin.Invalid, "The cursor is not valid; pass next_cursor from the previous page.")
	}
	return string(b), nil
}

// pageLimit applies the default (50) and cap (500) to a requested limit.
func pageLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}
