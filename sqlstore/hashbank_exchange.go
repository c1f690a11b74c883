package sqlstore

import (
	"context"
	"regexp"
	"strings"

	"anxin"
	"anxin/hashbank"
)

// Hash-bank labels.
var hashLabels = map[string]bool{"counterfeit": true, "logo_covered": true, "brand_owned": true}

// legacySignalType marks the rows stored before real PDQ (migration 0420).
const legacySignalType = "anxin_dct256_v0"

var hashTagPattern = regexp.MustCompile(`^[A-Za-z0-9_.:/@-]{1,64}$`)

var _ anxin.HashListService = (*HashBankService)(nil)

// validateKnownImages checks every item, normalising its hash to lower-case
// hex in place, and returns the problems found (nil if none).
func validateKnownImages(items []anxin.KnownImage) []anxin.ItemError {
	var details []anxin.ItemError
	bad := func(i int, field, msg string) {
		details = append(details, anxin.ItemError{Index: i, Field: field, Message: msg})
	}
	for i := range items {
		it := &items[i]
		h, err := hashbank.ParseHash256(it.PDQ)
		switch {
		case err != nil:
			bad(i, "pdq", anxin.MessageOf(err))
		case !hashLabels[it.Label]:
			bad(i, "label", "label must be counterfeit, logo_covered or brand_owned.")
		case anxin.ValidateOptionalID("brand_id", it.BrandID) != nil:
			bad(i, "brand_id", anxin.MessageOf(anxin.ValidateOptionalID("brand_id", it.BrandID)))
		case anxin.ValidateText("note", it.Note, anxin.MaxNameLen) != nil:
			bad(i, "note", "note must be text of at most 256 bytes.")
		case len(it.Tags) > 32:
			bad(i, "tags", "at most 32 tags.")
		case anxin.ValidateText("source", it.Source, anxin.MaxNameLen) != nil:
			bad(i, "source", "source must be text of at most 256 bytes.")
		case anxin.ValidateText("source_ref", it.SourceRef, anxin.MaxNameLen) != nil:
			bad(i, "source_ref", "source_ref must be text of at most 256 bytes.")
		default:
			it.PDQ = h.Hex()
			for _, t := range it.Tags {
				if !hashTagPattern.MatchString(t) {
					bad(i, "tags", "each tag must be 1 to 64 letters, digits or _.:/@-.")
					break
				}
			}
		}
	}
	return details
}

// insertKnownImages stores validated items as PDQ rows; an item already in
// the bank (same hash, label and brand) is kept once. It returns how many
// rows were added.
func insertKnownImages(ctx context.Context, tx *Tx, items []anxin.KnownImage) (int, error) {
	added := 0
	for _, it := range items {
		r, err := tx.ExecContext(ctx, `INSERT INTO hash_bank (pdq, label, brand_id, note, tags, source, source_ref, signal_type, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'pdq', ?) ON CONFLICT (pdq, label, brand_id) DO NOTHING`,
			it.PDQ, it.Label, it.BrandID, it.Note, strings.Join(it.Tags, " "), it.Source, it.SourceRef, ms(tx.Now))
		if err != nil {
			return 0, err
		}
		n, _ := r.RowsAffected()
		added += int(n)
	}
	return added, nil
}

// Import stores a whole hash list in one transaction (see
// anxin.HashListService). It needs ActionExchangeHashBank and takes at most
// hashbank.MaxListEntries items.
func (s *HashBankService) Import(ctx context.Context, items []anxin.KnownImage, skipped int) (anxin.HashImportResult, error) {
	res := anxin.HashImportResult{Received: len(items) + skipped, Skipped: skipped}
	if err := anxin.Authorize(ctx, anxin.ActionExchangeHashBank); err != nil {
		return res, err
	}
	if len(items) > hashbank.MaxListEntries {
		return res, anxin.Errorf(anxin.Invalid, "A list holds at most %d hashes.", hashbank.MaxListEntries)
	}
	if details := validateKnownImages(items); details != nil {
		if len(details) > 20 {
			details = details[:20]
		}
		return res, &anxin.Error{Kind: anxin.Invalid, Message: "The list was refused; nothing was imported.", Details: details}
	}
	err := s.db.Transact(ctx, func(tx *Tx) (err error) {
		res.Added, err = insertKnownImages(ctx, tx, items)
		return err
	})
	if err != nil {
		return res, err
	}
	res.Duplicates = len(items) - res.Added
	return res, s.refreshIfLoaded(ctx)
}

// refreshIfLoaded loads new rows into the index if this service has one; a
// service that has not searched yet (the command line) loads on first use.
func (s *HashBankService) refreshIfLoaded(ctx context.Context) error {
	s.mu.RLock()
	loaded := s.idx != nil
	s.mu.RUnlock()
	if !loaded {
		return nil
	}
	return s.Refresh(ctx)
}

// Export calls fn with every PDQ entry matching f, oldest first (see
// anxin.HashListService). It needs ActionExchangeHashBank.
func (s *HashBankService) Export(ctx context.Context, f anxin.HashExportFilter, fn func(anxin.KnownImage) error) error {
	if err := anxin.Authorize(ctx, anxin.ActionExchangeHashBank); err != nil {
		return err
	}
	if f.Label != "" && !hashLabels[f.Label] {
		return anxin.Errorf(anxin.Invalid, "label must be counterfeit, logo_covered or brand_owned.")
	}
	if err := anxin.ValidateOptionalID("brand_id", f.BrandID); err != nil {
		return err
	}
	q := `SELECT seq, pdq, label, brand_id, note, tags, source, source_ref FROM hash_bank WHERE signal_type = 'pdq'`
	var args []any
	if f.Label != "" {
		q, args = q+` AND label = ?`, append(args, f.Label)
	}
	if f.BrandID != "" {
		q, args = q+` AND brand_id = ?`, append(args, f.BrandID)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY seq`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k anxin.KnownImage
		var tags string
		if err := rows.Scan(&k.Seq, &k.PDQ, &k.Label, &k.BrandID, &k.Note, &tags, &k.Source, &k.SourceRef); err != nil {
			return err
		}
		k.Tags = splitTags(tags)
		if err := fn(k); err != nil {
			return err
		}
	}
	return rows.Err()
}

// LegacyCount returns how many rows hold the pre-PDQ hash (kept by
// migration 0420, not searched). It needs ActionExchangeHashBank.
func (s *HashBankService) LegacyCount(ctx context.Context) (int, error) {
	if err := anxin.Authorize(ctx, anxin.ActionExchangeHashBank); err != nil {
		return 0, err
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM hash_bank WHERE signal_type = ?`, legacySignalType).Scan(&n)
	return n, err
}

// PromoteLegacy declares the pre-PDQ rows to be PDQ after all, for banks
// whose hashes were sent by clients that hashed with a real PDQ hasher. The
// rows are re-inserted, so they get new seqs and every replica loads them
// on its next refresh. It returns how many rows were promoted and needs
// ActionExchangeHashBank.
func (s *HashBankService) PromoteLegacy(ctx context.Context) (int, error) {
	if err := anxin.Authorize(ctx, anxin.ActionExchangeHashBank); err != nil {
		return 0, err
	}
	var n int
	err := s.db.Transact(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT pdq, label, brand_id, note, created_at FROM hash_bank WHERE signal_type = ? ORDER BY seq`, legacySignalType)
		if err != nil {
			return err
		}
		type row struct {
			pdq, label, brand, note string
			created                 int64
		}
		var rs []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.pdq, &r.label, &r.brand, &r.note, &r.created); err != nil {
				rows.Close()
				return err
			}
			rs = append(rs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM hash_bank WHERE signal_type = ?`, legacySignalType); err != nil {
			return err
		}
		for _, r := range rs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO hash_bank (pdq, label, brand_id, note, signal_type, created_at) VALUES (?, ?, ?, ?, 'pdq', ?)`,
				r.pdq, r.label, r.brand, r.note, r.created); err != nil {
				return err
			}
		}
		n = len(rs)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, s.refreshIfLoaded(ctx)
}

// splitTags reads the tags column (tags separated by spaces; nil if none).
func splitTags(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Fields(s)
}
