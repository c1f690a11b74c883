package sqlstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"anxin"
	"anxin/hashbank"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

func exportAll(t *testing.T, hb *sqlstore.HashBankService, f anxin.HashExportFilter) []anxin.KnownImage {
	t.Helper()
	var out []anxin.KnownImage
	if err := hb.Export(as(anxin.RoleOperator), f, func(k anxin.KnownImage) error {
		k.Seq = 0
		out = append(out, k)
		return nil
	}); err != nil {
		t.Fatalf("Export(%+v) = %v", f, err)
	}
	return out
}

func TestHashListImportExport(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		hb := sqlstore.NewHashBankService(db)
		a, b := hashbank.Hash256{1, 2, 3, 4}, hashbank.Hash256{5, 6, 7, 8}
		items := []anxin.KnownImage{
			{PDQ: a.Hex(), Label: "counterfeit", BrandID: "b1", Tags: []string{"bags", "category:INVESTIGATION_SEED"}, Source: "Sample Collab", SourceRef: "123"},
			{PDQ: b.Hex(), Label: "counterfeit", BrandID: "b1", Source: "Sample Collab"},
			{PDQ: b.Hex(), Label: "counterfeit", BrandID: "b1", Source: "Sample Collab"}, // twice in the list
		}
		if _, err := hb.Import(as(anxin.RolePlatform), items, 0); anxin.KindOf(err) != anxin.Forbidden {
			t.Errorf("Import as platform = %v; want Forbidden", err)
		}

		// One bad item refuses the whole list.
		bad := append([]anxin.KnownImage{}, items...)
		bad = append(bad, anxin.KnownImage{PDQ: a.Hex(), Label: "counterfeit", Tags: []string{"no spaces allowed"}})
		_, err := hb.Import(as(anxin.RoleOperator), bad, 0)
		var ae *anxin.Error
		if !errors.As(err, &ae) || ae.Kind != anxin.Invalid || len(ae.Details) != 1 || ae.Details[0].Index != 3 || ae.Details[0].Field != "tags" {
			t.Fatalf("Import(bad tag in item 3) = %#v; want Invalid with one detail on item 3's tags", err)
		}
		if got := exportAll(t, hb, anxin.HashExportFilter{}); len(got) != 0 {
			t.Fatalf("bank after a refused import = %v; want empty", got)
		}

		res, err := hb.Import(as(anxin.RoleOperator), items, 2)
		if want := (anxin.HashImportResult{Received: 5, Added: 2, Duplicates: 1, Skipped: 2}); err != nil || res != want {
			t.Fatalf("Import = %+v, %v; want %+v", res, err, want)
		}
		want := []anxin.KnownImage{items[0], items[1]}
		if diff := cmp.Diff(want, exportAll(t, hb, anxin.HashExportFilter{BrandID: "b1"})); diff != "" {
			t.Errorf("Export mismatch (-want +got):\n%s", diff)
		}
		if got := exportAll(t, hb, anxin.HashExportFilter{Label: "brand_owned"}); len(got) != 0 {
			t.Errorf("Export(brand_owned) = %v; want none", got)
		}
		if err := hb.Export(as(anxin.RoleOperator), anxin.HashExportFilter{Label: "nope"}, func(anxin.KnownImage) error { return nil }); anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("Export(bad label) = %v; want Invalid", err)
		}
		m, err := hb.Search(as(anxin.RoleOperator), a.Hex(), 0)
		if err != nil || len(m) != 1 || m[0].Source != "Sample Collab" || m[0].SourceRef != "123" {
			t.Errorf("Search(imported hash) = %+v, %v; want its provenance", m, err)
		}
	})
}

// TestHashBankLegacyRows: rows kept from before PDQ (migration 0420 marks
// them anxin_dct256_v0) are neither searched nor exported until promoted.
func TestHashBankLegacyRows(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		old := hashbank.Hash256{9, 9, 9, 9}
		if _, err := db.ExecContext(context.Background(), `INSERT INTO hash_bank (pdq, label, brand_id, note, signal_type, created_at)
			VALUES (?, 'counterfeit', '', 'before PDQ', 'anxin_dct256_v0', 1)`, old.Hex()); err != nil {
			t.Fatal(err)
		}
		hb := sqlstore.NewHashBankService(db)
		if m, err := hb.Search(as(anxin.RoleOperator), old.Hex(), 31); err != nil || len(m) != 0 {
			t.Fatalf("Search(legacy hash) = %v, %v; want no match", m, err)
		}
		if got := exportAll(t, hb, anxin.HashExportFilter{}); len(got) != 0 {
			t.Fatalf("Export with only legacy rows = %v; want none", got)
		}
		if n, err := hb.LegacyCount(as(anxin.RoleOperator)); n != 1 || err != nil {
			t.Fatalf("LegacyCount = %d, %v; want 1", n, err)
		}
		// A second replica that has already loaded its index sees the
		// promoted row on its next refresh (the row gets a new seq).
		other := sqlstore.NewHashBankService(db)
		if err := other.Refresh(as(anxin.RoleOperator)); err != nil {
			t.Fatal(err)
		}
		if n, err := hb.PromoteLegacy(as(anxin.RoleOperator)); n != 1 || err != nil {
			t.Fatalf("PromoteLegacy = %d, %v; want 1", n, err)
		}
		if err := other.Refresh(as(anxin.RoleOperator)); err != nil {
			t.Fatal(err)
		}
		if m, err := other.Search(as(anxin.RoleOperator), old.Hex(), 0); err != nil || len(m) != 1 || m[0].Note != "before PDQ" {
			t.Fatalf("Search after promotion = %+v, %v; want the promoted row", m, err)
		}
		if n, _ := hb.LegacyCount(as(anxin.RoleOperator)); n != 0 {
			t.Errorf("LegacyCount after promotion = %d; want 0", n)
		}
	})
}
