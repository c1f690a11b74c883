package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// TestOutboxCursorNeverPassesAMessageBeingWritten: on PostgreSQL a message
// whose seq was handed out first may commit last. The cursor must not move
// past it while its transaction runs, and then must deliver it once.
func TestOutboxCursorNeverPassesAMessageBeingWritten(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		cur := sqlstore.NewOutboxCursor(db, "test", "r1")
		enqueue := func(tx *sqlstore.Tx, key string) {
			if _, err := sqlstore.Enqueue(ctx, tx, anxin.MessageDelistListing, "l_"+key, key, map[string]string{"k": key}); err != nil {
				t.Fatal(err)
			}
		}
		// drain reads until want messages came or, on PostgreSQL, until
		// transactions of other tests sharing the server (which hold the
		// horizon back for a moment) have ended, within 15 s.
		drain := func(want int) []string {
			t.Helper()
			var ids []string
			deadline := time.Now().Add(15 * time.Second)
			for {
				msgs, last, err := cur.Next(ctx, 2)
				if err != nil {
					t.Fatal(err)
				}
				if len(msgs) == 0 {
					if len(ids) >= want || time.Now().After(deadline) {
						return ids
					}
					time.Sleep(20 * time.Millisecond)
					continue
				}
				for _, m := range msgs {
					ids = append(ids, m.SubjectID)
				}
				if err := cur.Commit(ctx, last); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := db.Transact(ctx, func(tx *sqlstore.Tx) error { enqueue(tx, "a0"); return nil }); err != nil {
			t.Fatal(err)
		}
		if got := drain(1); len(got) != 1 || got[0] != "l_a0" {
			t.Fatalf("first drain = %v; want [l_a0]", got)
		}
		if db.Dialect == sqlstore.Postgres {
			// A takes the next seq and stays open while B, later, commits.
			inA, releaseA, doneA := make(chan struct{}), make(chan struct{}), make(chan error, 1)
			go func() {
				doneA <- db.Transact(ctx, func(tx *sqlstore.Tx) error {
					enqueue(tx, "a1")
					close(inA)
					<-releaseA
					return nil
				})
			}()
			<-inA
			if err := db.Transact(ctx, func(tx *sqlstore.Tx) error { enqueue(tx, "b1"); return nil }); err != nil {
				t.Fatal(err)
			}
			if got := drain(0); len(got) != 0 {
				t.Errorf("while A runs the cursor delivered %v; want nothing (it would pass A's message)", got)
			}
			close(releaseA)
			if err := <-doneA; err != nil {
				t.Fatal(err)
			}
			if got := drain(2); len(got) != 2 || got[0] != "l_a1" || got[1] != "l_b1" {
				t.Errorf("after A commits: %v; want [l_a1 l_b1]", got)
			}
		}
		if err := db.Transact(ctx, func(tx *sqlstore.Tx) error { enqueue(tx, "c1"); enqueue(tx, "c2"); enqueue(tx, "c3"); return nil }); err != nil {
			t.Fatal(err)
		}
		if got := drain(3); len(got) != 3 || got[0] != "l_c1" || got[2] != "l_c3" {
			t.Errorf("drain = %v; want [l_c1 l_c2 l_c3]", got)
		}
		if got := drain(0); len(got) != 0 {
			t.Errorf("second drain = %v; want nothing", got)
		}
		if err := cur.Commit(ctx, 1<<40); anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("Commit(unknown seq) = %v; want Invalid", err)
		}
		if c, head, err := cur.Position(ctx); err != nil || c != head {
			t.Errorf("Position = %d, %d, %v; want the cursor at the head", c, head, err)
		}
		// The cursors as operators see them, on every replica.
		op := anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "k_op", Role: anxin.RoleOperator})
		cs, err := db.StreamCursors(op)
		if err != nil || len(cs) != 1 || cs[0].Name != "test" || cs[0].Owner != "r1" || cs[0].Lag != 0 || cs[0].LeaseUntil.IsZero() {
			t.Errorf("StreamCursors = %+v, %v; want the one cursor, held by r1, at the head", cs, err)
		}
		if err := db.Transact(ctx, func(tx *sqlstore.Tx) error { enqueue(tx, "d1"); return nil }); err != nil {
			t.Fatal(err)
		}
		if cs, err := db.StreamCursors(op); err != nil || len(cs) != 1 || cs[0].Lag != 1 {
			t.Errorf("StreamCursors after one more message = %+v, %v; want lag 1", cs, err)
		}
		merchant := anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "k_m", Role: anxin.MerchantRole("m1")})
		if _, err := db.StreamCursors(merchant); anxin.KindOf(err) != anxin.Forbidden {
			t.Errorf("StreamCursors as a merchant = %v; want Forbidden", err)
		}
	})
}
