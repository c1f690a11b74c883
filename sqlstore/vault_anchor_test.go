package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// auditLog fills a fresh database with n audit rows (grant requests).
func auditLog(t *testing.T, s *sqlstore.VaultService, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		requestGrant(t, s, anxin.RoleCare, anxin.PurposeCare, "o"+strconv.Itoa(i), time.Now().Add(time.Hour))
	}
}

func mustExec(t *testing.T, db *sqlstore.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

type headRow struct {
	seq, keyedFrom int64
	hash, mac      string
}

func readHead(t *testing.T, db *sqlstore.DB) headRow {
	t.Helper()
	var h headRow
	if err := db.QueryRowContext(context.Background(), `SELECT seq, hash, keyed_from, mac FROM privacy_audit_head WHERE id = 1`).Scan(&h.seq, &h.hash, &h.keyedFrom, &h.mac); err != nil {
		t.Fatal(err)
	}
	return h
}

func writeHead(t *testing.T, db *sqlstore.DB, h headRow) {
	t.Helper()
	mustExec(t, db, `UPDATE privacy_audit_head SET seq = ?, hash = ?, keyed_from = ?, mac = ? WHERE id = 1`, h.seq, h.hash, h.keyedFrom, h.mac)
}

// TestAuditAnchorDetectsTampering tampers with the log in each way a
// database writer can, after a checkpoint was taken, and checks that
// VerifyAuditChain with that checkpoint names what happened, on both
// databases.
func TestAuditAnchorDetectsTampering(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name       string
		tamper     func(t *testing.T, db *sqlstore.DB, atAnchor headRow)
		wantBad    int64
		wantReason string
		noAnchorOK bool // the database alone cannot show it
	}{
		{"edit a row", func(t *testing.T, db *sqlstore.DB, _ headRow) {
			mustExec(t, db, `UPDATE privacy_audit SET outcome = 'forbidden' WHERE seq = 3`)
		}, 3, "row 3 was edited", false},
		{"delete the newest rows and rewrite the head", func(t *testing.T, db *sqlstore.DB, _ headRow) {
			mustExec(t, db, `DELETE FROM privacy_audit WHERE seq > 6`)
			var hash string
			db.QueryRowContext(ctx, `SELECT hash FROM privacy_audit WHERE seq = 6`).Scan(&hash)
			h := readHead(t, db)
			h.seq, h.hash = 6, hash
			writeHead(t, db, h)
		}, 6, "the chain head (row 6) was rewritten", false},
		{"reorder two rows", func(t *testing.T, db *sqlstore.DB, _ headRow) {
			mustExec(t, db, `UPDATE privacy_audit SET seq = 100 WHERE seq = 4`)
			mustExec(t, db, `UPDATE privacy_audit SET seq = 4 WHERE seq = 5`)
			mustExec(t, db, `UPDATE privacy_audit SET seq = 5 WHERE seq = 100`)
		}, 4, "row 4 does not follow row 3", false},
		{"truncate to the head saved at the checkpoint's time minus rows", func(t *testing.T, db *sqlstore.DB, _ headRow) {
			// The attacker kept a copy of an older, genuine head (row 5) and
			// restores it after deleting everything newer: the database is
			// consistent again; only the checkpoint (row 8) shows the loss.
			mustExec(t, db, `DELETE FROM privacy_audit WHERE seq > 5`)
			writeHead(t, db, savedHead5)
		}, 6, "the log ends at row 5, before row 8 of the checkpoint", true},
		{"re-chain everything unkeyed and move the keyed boundary", func(t *testing.T, db *sqlstore.DB, h headRow) {
			rechainUnkeyed(t, db)
		}, 0, "keyed boundary", false},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
				s := newVaultService(t, db)
				auditLog(t, s, 5)
				savedHead5 = readHead(t, db)
				auditLog(t, s, 3)
				anchor, err := s.Checkpoint(ctx)
				if err != nil || anchor.Seq != 8 {
					t.Fatalf("Checkpoint = %+v, %v; want row 8", anchor, err)
				}
				if v, err := s.VerifyAuditChain(ctx, anchor); err != nil || !v.OK || v.AnchorSeq != 8 {
					t.Fatalf("VerifyAuditChain(anchor) before tampering = %+v, %v", v, err)
				}
				tt.tamper(t, db, readHead(t, db))
				v, err := s.VerifyAuditChain(ctx, anchor)
				if err != nil {
					t.Fatal(err)
				}
				if v.OK || (tt.wantBad != 0 && v.FirstBadSeq != tt.wantBad) || !strings.Contains(v.Reason, tt.wantReason) {
					t.Errorf("VerifyAuditChain(anchor) = %+v; want row %d, reason containing %q", v, tt.wantBad, tt.wantReason)
				}
				plain, err := s.VerifyAuditChain(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if plain.OK != tt.noAnchorOK {
					t.Errorf("VerifyAuditChain(no anchor).OK = %v (%s); want %v", plain.OK, plain.Reason, tt.noAnchorOK)
				}
				// A broken chain is never anchored.
				if _, err := s.Checkpoint(ctx); !tt.noAnchorOK && anxin.KindOf(err) != anxin.Conflict {
					t.Errorf("Checkpoint of a tampered log = %v; want Conflict", err)
				}
			})
		})
	}
}

var savedHead5 headRow

// rechainUnkeyed is the downgrade attack: recompute every row with the
// public, unkeyed SHA-256 format and move the keyed boundary past the head,
// so the rows pass for ones written before the chain was keyed.
func rechainUnkeyed(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, `SELECT seq, at, actor_key, actor_role, action, order_id, purpose, outcome, detail FROM privacy_audit ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		seq, at int64
		f       [7]string
	}
	var all []row
	for rows.Next() {
		var r row
		rows.Scan(&r.seq, &r.at, &r.f[0], &r.f[1], &r.f[2], &r.f[3], &r.f[4], &r.f[5], &r.f[6])
		all = append(all, r)
	}
	rows.Close()
	prev := strings.Repeat("0", 64)
	for _, r := range all {
		h := sha256.New()
		var n [binary.MaxVarintLen64]byte
		for _, s := range append([]string{prev, strconv.FormatInt(r.seq, 10), strconv.FormatInt(r.at, 10)}, r.f[:]...) {
			h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
			h.Write([]byte(s))
		}
		hash := hex.EncodeToString(h.Sum(nil))
		mustExec(t, db, `UPDATE privacy_audit SET prev_hash = ?, hash = ? WHERE seq = ?`, prev, hash, r.seq)
		prev = hash
	}
	last := all[len(all)-1].seq
	writeHead(t, db, headRow{seq: last, hash: prev, keyedFrom: last + 1, mac: ""})
}

// TestAuditChainKeyedAcrossMigration checks the version boundary: rows
// written with the old unkeyed chain stay verifiable, rows after it are
// keyed, and editing an old row is still caught once a keyed row follows.
func TestAuditChainKeyedAcrossMigration(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newVaultService(t, db)
		auditLog(t, s, 3)
		// Simulate a database migrated with three unkeyed rows: re-chain
		// them unkeyed and put the boundary after them, then drop the key
		// made for the old boundary (as if it had never existed).
		rechainUnkeyed(t, db)
		mustExec(t, db, `DELETE FROM vault_data_keys WHERE purpose = 'audit'`)
		if v, err := s.VerifyAuditChain(ctx, nil); err != nil || !v.OK || v.KeyedFrom != 4 {
			t.Fatalf("VerifyAuditChain after the boundary = %+v, %v", v, err)
		}
		auditLog(t, s, 2)
		if v, err := s.VerifyAuditChain(ctx, nil); err != nil || !v.OK || v.Rows != 5 || v.HeadSeq != 5 {
			t.Fatalf("VerifyAuditChain with keyed rows = %+v, %v", v, err)
		}
		mustExec(t, db, `UPDATE privacy_audit SET detail = 'x' WHERE seq = 2`)
		if v, _ := s.VerifyAuditChain(ctx, nil); v.OK || v.FirstBadSeq != 2 {
			t.Fatalf("after editing an unkeyed row = %+v; want row 2", v)
		}
	})
}

// TestAuditCheckpointJob runs the periodic job: it sends a signed checkpoint
// as an audit.checkpoint message, schedules the next slot, and the payload
// it sent is an anchor that catches a later truncation.
func TestAuditCheckpointJob(t *testing.T) {
	hour := time.Now().UTC().Truncate(time.Hour) // grants' expiries are relative to the wall clock
	t0 := hour.Add(20 * time.Minute)
	clock := anxintest.NewClock(t0)
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(t0)
		ctx := context.Background()
		s := newVaultService(t, db)
		auditLog(t, s, 4)
		savedHead4 := readHead(t, db)
		auditLog(t, s, 2)
		if err := s.ScheduleCheckpoints(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := s.ScheduleCheckpoints(ctx, time.Hour); err != nil { // a second replica starting
			t.Fatal(err)
		}
		runner := &sqlstore.JobRunner{DB: db}
		runner.Handle(sqlstore.JobAuditCheckpoint, s.HandleCheckpointJob)
		if n, err := runner.RunDue(ctx, 10); err != nil || n != 0 {
			t.Fatalf("RunDue before 11:00 = %d, %v; want nothing due before the hour", n, err)
		}
		clock.Set(hour.Add(time.Hour + time.Second))
		if n, err := runner.RunDue(ctx, 10); err != nil || n != 1 {
			t.Fatalf("RunDue at 11:00 = %d, %v; want one checkpoint on the hour", n, err)
		}
		msgs, err := db.OutboxMessages(ctx, sqlstore.MessageAuditCheckpoint, 10)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("outbox = %v, %v; want one audit.checkpoint", msgs, err)
		}
		var anchor anxin.AuditCheckpoint
		if err := json.Unmarshal(msgs[0].Payload, &anchor); err != nil || anchor.Seq != 6 || anchor.Signature == "" {
			t.Fatalf("checkpoint payload = %s, %v", msgs[0].Payload, err)
		}
		var pending int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE kind = ? AND state = 'pending' AND job_key = ?`, sqlstore.JobAuditCheckpoint,
			hour.Add(2*time.Hour).Format(time.RFC3339)).Scan(&pending)
		if pending != 1 {
			t.Fatalf("next checkpoint slot scheduled %d times; want once, an hour later", pending)
		}
		// Truncate to a genuine older head: only the sent checkpoint shows it.
		mustExec(t, db, `DELETE FROM privacy_audit WHERE seq > 4`)
		writeHead(t, db, savedHead4)
		if v, _ := s.VerifyAuditChain(ctx, nil); !v.OK {
			t.Fatalf("without the anchor the truncation should look consistent: %+v", v)
		}
		if v, _ := s.VerifyAuditChain(ctx, &anchor); v.OK || !strings.Contains(v.Reason, "truncated") {
			t.Fatalf("VerifyAuditChain(sent checkpoint) = %+v; want truncation found", v)
		}
		// An edited checkpoint does not verify.
		forged := anchor
		forged.Seq = 4
		if v, _ := s.VerifyAuditChain(ctx, &forged); v.OK || !strings.Contains(v.Reason, "signature does not verify") {
			t.Fatalf("VerifyAuditChain(forged checkpoint) = %+v", v)
		}
	})
}
