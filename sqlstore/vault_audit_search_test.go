package sqlstore_test

import (
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// TestSearchAudit filters the audit log by actor, order, action and time
// and pages it backwards by cursor, on both databases.
func TestSearchAudit(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		s := newVaultService(t, db)
		start := time.Now().Add(-time.Second)
		auditLog(t, s, 5)
		g := requestGrant(t, s, anxin.RoleCare, anxin.PurposeCare, "o3", time.Now().Add(time.Hour))
		if _, err := s.ApproveGrant(asPrivacyOfficer("key_privacy_2"), g.ID); err != nil {
			t.Fatal(err)
		}
		ctx := asKey(anxin.RoleAuditor)
		all, err := s.SearchAudit(ctx, anxin.AuditFilter{})
		if err != nil || len(all) < 7 {
			t.Fatalf("SearchAudit(all) = %d rows, %v; want at least 7", len(all), err)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Seq >= all[i-1].Seq {
				t.Fatalf("rows not newest first: %d after %d", all[i].Seq, all[i-1].Seq)
			}
		}
		by, err := s.SearchAudit(ctx, anxin.AuditFilter{ActorKey: "key_privacy_2"})
		if err != nil || len(by) == 0 {
			t.Fatalf("SearchAudit(actor) = %d rows, %v", len(by), err)
		}
		for _, e := range by {
			if e.ActorKey != "key_privacy_2" {
				t.Errorf("actor filter returned a row of %s", e.ActorKey)
			}
		}
		o3, err := s.SearchAudit(ctx, anxin.AuditFilter{OrderID: "o3", Action: all[len(all)-1].Action})
		if err != nil || len(o3) < 2 {
			t.Fatalf("SearchAudit(order o3, action %s) = %d rows, %v; want the two requests", all[len(all)-1].Action, len(o3), err)
		}
		for _, e := range o3 {
			if e.OrderID != "o3" {
				t.Errorf("order filter returned a row of %q", e.OrderID)
			}
		}
		// Paging: two rows a page, each page older than the last, together the whole log.
		var seen int
		cursor := int64(0)
		for page := 0; page < 10; page++ {
			rows, err := s.SearchAudit(ctx, anxin.AuditFilter{BeforeSeq: cursor, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) == 0 {
				break
			}
			if cursor != 0 && rows[0].Seq >= cursor {
				t.Fatalf("page %d starts at %d, not before the cursor %d", page, rows[0].Seq, cursor)
			}
			seen += len(rows)
			cursor = rows[len(rows)-1].Seq
		}
		if seen != len(all) {
			t.Errorf("paging saw %d rows; want %d", seen, len(all))
		}
		if rows, err := s.SearchAudit(ctx, anxin.AuditFilter{From: start.Add(time.Hour)}); err != nil || len(rows) != 0 {
			t.Errorf("SearchAudit(from the future) = %d rows, %v; want none", len(rows), err)
		}
		if rows, err := s.SearchAudit(ctx, anxin.AuditFilter{From: start, To: time.Now().Add(time.Minute)}); err != nil || len(rows) != len(all) {
			t.Errorf("SearchAudit(period) = %d rows, %v; want %d", len(rows), err, len(all))
		}
		for _, bad := range []anxin.AuditFilter{
			{From: start, To: start.Add(-time.Hour)},
			{BeforeSeq: -1},
			{OrderID: "bad id with spaces"},
		} {
			if _, err := s.SearchAudit(ctx, bad); anxin.KindOf(err) != anxin.Invalid {
				t.Errorf("SearchAudit(%+v) = %v; want Invalid", bad, err)
			}
		}
		if _, err := s.SearchAudit(asKey(anxin.RoleCare), anxin.AuditFilter{}); anxin.KindOf(err) != anxin.Forbidden {
			t.Errorf("SearchAudit as care = %v; want Forbidden", err)
		}
	})
}
